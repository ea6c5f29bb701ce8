#pragma once
/** @file
 * What an HTTP endpoint accepts from one client before it refuses or hangs up. The defaults keep
 * a liveness probe answering while thousands of slow or idle clients hold connections open;
 * docs/operations.md ("HTTP limits") gives the variables that set them.
 */
#include <chrono>
#include <cstddef>

namespace domain_events {

/// The longest request path (percent-decoded, without the query) a route is matched against;
/// a longer one is refused with 414. Routes are regular expressions, and std::regex matches
/// recursively, about one stack frame per character: a path of some 30,000 bytes overflowed a
/// thread's 8 MiB stack and killed the process. Not configurable, so no setting can undo it.
inline constexpr std::size_t http_max_path_bytes = 2048;

/** @brief Bounds on every connection and request of an `http_server`. */
struct http_limits {
    /// DOMAIN_EVENTS_HTTP_MAX_BODY_BYTES (1..64 MiB): a larger body is refused with 413 as soon
    /// as it is known to be larger, whether it is sent with a Content-Length or chunked.
    std::size_t max_body_bytes = 64 * 1024;
    /// DOMAIN_EVENTS_HTTP_MAX_HEADER_BYTES (1 KiB..1 MiB): the request line and headers; more: 431.
    std::size_t max_header_bytes = 16 * 1024;
    /// DOMAIN_EVENTS_HTTP_MAX_CONNECTIONS (1..100000): open at once; later ones wait in the
    /// listen backlog until one closes. Each is a file descriptor: `start()` raises the soft
    /// open-file limit toward the hard one to fit them beside 128 kept for the rest of the
    /// process, and serves fewer (with a warning) when the hard limit is lower.
    unsigned max_connections = 4096;
    /// DOMAIN_EVENTS_HTTP_REQUEST_TIMEOUT_MS (100..600000): the whole time a request may take to
    /// arrive and be answered, counted from the connection's opening or its previous answer —
    /// not from the last byte, so a client sending a byte at a time is cut off like an idle one.
    std::chrono::milliseconds request_timeout{10'000};
    /// DOMAIN_EVENTS_HTTP_THREADS (1..64): event loops; a handler runs on the loop that read it.
    unsigned threads = 2;
};

}  // namespace domain_events
