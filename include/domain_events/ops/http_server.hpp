#pragma once
/** @file
 * An HTTP/1.1 server (libmicrohttpd's event loops) and the routing it runs, for the library's
 * endpoints and an application's small JSON API. A connection costs a socket, not a thread, so
 * slow or idle clients cannot starve the others; every request is bounded by `http_limits`
 * before a handler sees it. Clients' mistakes get 4xx (404, 405 with `Allow`, 413, 414, 415, 431),
 * never 5xx, and no answer repeats what the client sent.
 */
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "domain_events/ops/http_limits.hpp"
#include "domain_events/ops/http_responder.hpp"

namespace spdlog { class logger; }

namespace domain_events {

/** @brief Where to listen. Loopback unless told otherwise: the endpoint has no TLS. */
struct listen_address {
    std::string host = "127.0.0.1";  ///< an IPv4 or IPv6 address (no name lookup)
    int port = 0;  ///< 0: any free port (see `http_server::port()`)
};

/**
 * @brief Reads `HOST:PORT` or `PORT` (host 127.0.0.1); PORT 0..65535.
 * @param what the option or variable the text came from, named in the error.
 * @throws config_error naming `what` and the text.
 */
[[nodiscard]] listen_address parse_listen_address(std::string_view text, std::string_view what);

/** @brief Orders header names as HTTP compares them: without regard to case. */
struct header_name_less {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept;
};

/** @brief A request, as a handler sees it: already within the limits. */
struct http_request {
    std::string method;                 ///< `GET`, `POST`, ... (`HEAD` is routed as `GET`)
    std::string path;                   ///< percent-decoded, without the query
    std::vector<std::string> captures;  ///< the route regex's capture groups, in order
    std::map<std::string, std::string, std::less<>> query;  ///< the last of repeated parameters
    std::map<std::string, std::string, header_name_less> headers;
    std::string body;
    std::string remote_address;  ///< the client's IP address as text (empty when unknown, as without a socket)

    /** @brief The query parameter `name`, or `fallback` when absent. */
    [[nodiscard]] std::string param(std::string_view name, std::string fallback = {}) const;
    /** @brief The header `name` (any case), or empty. */
    [[nodiscard]] std::string header(std::string_view name) const;
};

/** @brief What a route answers. */
struct http_response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  ///< beside Content-Type
};

/** @brief A JSON response (invalid UTF-8 in strings replaced, never thrown). */
[[nodiscard]] http_response json_response(int status, const nlohmann::json& body);

/** @brief `{"error": message}` with `status`, plus `"field"` when one is named. */
[[nodiscard]] http_response json_error(int status, std::string_view message, std::string_view field = {});

/** @brief The 413 for a body over `max_body_bytes`, however it was found to be. */
[[nodiscard]] http_response body_too_large(std::size_t max_body_bytes);

/** @brief What a route accepts beside its method and path. */
struct http_route_options {
    /// Sees the request before its body is read (the body is empty): an answer refuses it,
    /// e.g. an authorisation check. Empty: every request passes.
    std::function<std::optional<http_response>(const http_request& request)> admit;
    bool json_body = false;  ///< a non-empty body must be `application/json` (else 415)
};

/** @brief Routes requests to handlers; usable without a socket (tests, fuzzing). */
class http_router {
public:
    using handler = std::function<http_response(const http_request& request)>;
    /// Answers through `answer`, now or later from any thread (copy what it needs of `request`:
    /// the reference lasts only as long as the call). The server serves other requests meanwhile.
    using deferred_handler = std::function<void(const http_request& request, http_responder answer)>;

    using route_options = http_route_options;

    /** @brief One route, as found by `find`. */
    struct route;

    explicit http_router(std::shared_ptr<spdlog::logger> logger = {});
    ~http_router();
    http_router(http_router&&) noexcept;
    http_router& operator=(http_router&&) noexcept;

    /** @brief `method` on paths matching `path_regex` (the whole path). */
    void add(std::string method, const std::string& path_regex, handler h, route_options options = {});
    /** @brief `method` on paths matching `path_regex`, answered when the handler calls its responder. */
    void add_deferred(std::string method, const std::string& path_regex, deferred_handler h, route_options options = {});

    /**
     * @brief The route for a request whose headers have arrived, with its captures filled in;
     *        or the answer that refuses it: 414 for a path over `http_max_path_bytes` (before
     *        any pattern sees it), 404, 405 with `Allow`, 415 for a Content-Encoding or a
     *        Transfer-Encoding other than chunked (bodies are taken as sent, never inflated) or a
     *        media type the route does not take, 413 for a declared Content-Length over
     *        `max_body_bytes`, or the gate's answer.
     */
    [[nodiscard]] const route* find(http_request& request, std::size_t max_body_bytes,
                                    std::optional<http_response>& refusal) const;

    /**
     * @brief Runs the route's handler; `answer` gets its response, at once for a plain route,
     *        when the handler sends it for a deferred one. An exception becomes 500 without its
     *        text (which is logged): a handler turns client mistakes into 4xx itself.
     */
    void respond(const route& found, const http_request& request, const http_responder& answer) const noexcept;

    /** @brief Whether the route answers through a responder (`add_deferred`). */
    [[nodiscard]] static bool defers(const route& found) noexcept;

    /** @brief `respond`, waiting for a deferred route's answer (tests, fuzzing, socket-less use). */
    [[nodiscard]] http_response respond(const route& found, const http_request& request) const noexcept;

    /** @brief `find` then `respond`, for a request already read whole. */
    [[nodiscard]] http_response dispatch(http_request request, std::size_t max_body_bytes) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/** @brief What a server has seen, for metrics and tests. */
struct http_server_counters {
    std::uint64_t requests = 0;        ///< answered by a route or a refusal
    std::uint64_t timed_out = 0;       ///< connections closed for going past `request_timeout`
    std::uint64_t open_connections = 0;
};

/**
 * @brief Serves a router on its own threads from `start()` to `stop()`. The router must outlive
 *        the server and not change while it serves.
 *
 * Threads: `start()` and `stop()` (and the destructor) from one thread at a time, usually the
 * owner's; `port()` (once `start()` returned) and `counters()` from any thread. Handlers run on
 * the server's event-loop threads, several at once when `http_limits::threads` > 1, so what they
 * share must be thread-safe. A deferred route's connection is set aside (not read, not timed out
 * by the loop) until its responder answers, from any thread. `stop()` waits for the handlers
 * running and, up to `request_timeout`, for deferred answers; those still missing then get 503.
 */
class http_server {
public:
    http_server(listen_address address, const http_router& routes, http_limits limits = {},
                std::shared_ptr<spdlog::logger> logger = {});
    /** @brief Stops as `stop()` does. */
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /** @brief Binds and starts serving. @throws config_error naming the address when it cannot bind; usage_error when started twice. */
    void start();
    /** @brief Stops accepting, finishes the requests in progress, joins. Idempotent; never throws. */
    void stop() noexcept;
    /** @brief The port bound by `start()` (useful with port 0); 0 before. */
    [[nodiscard]] int port() const noexcept;
    [[nodiscard]] http_server_counters counters() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
