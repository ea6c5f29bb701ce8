#pragma once
// Room for an HTTP server's connections among the process's file descriptors. Each connection is
// one; the rest of the process (SQLite's files, librdkafka's sockets and pipes) needs some too.
// A common soft limit is 1,024 (systemd's default) while the default cap is 4,096 connections:
// without room, a thousand idle clients took every descriptor, the listen socket stopped
// accepting (`/health/live` unreachable) and the relay's own files and sockets could not open.
#include <cstdint>

namespace spdlog { class logger; }

namespace domain_events::detail {

/// Descriptors kept for the rest of the process, beside the connections.
inline constexpr std::uint64_t descriptors_kept_back = 128;

/**
 * @brief How many of `wanted` connections fit within `soft_limit` descriptors, `descriptors_kept_back`
 *        left for the rest (half of a limit too small for that); at least 1.
 */
[[nodiscard]] unsigned connections_within(unsigned wanted, std::uint64_t soft_limit) noexcept;

/**
 * @brief Raises the process's soft open-file limit (never above the hard one, never lowering it)
 *        until `wanted` connections fit beside the descriptors kept back.
 * @return how many connections fit now: `wanted`, or fewer when the hard limit is lower (logged
 *         as a warning naming `ulimit -n` and DOMAIN_EVENTS_HTTP_MAX_CONNECTIONS). Never throws.
 */
unsigned make_room_for_connections(unsigned wanted, spdlog::logger& log) noexcept;

}  // namespace domain_events::detail
