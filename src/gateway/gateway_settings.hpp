#pragma once
// The gateway's configuration file (docs/gateway.md, "Configuration file"): the event types it
// accepts, each with its topic's settings and its validation rules, and the gateway's own limits.
// The file is untrusted input: bounded in size and depth, every key known, every error naming the
// file and the path of the field at fault.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <domain_events/config.hpp>
#include <domain_events/publish/validation.hpp>

namespace domain_events::gateway {

/** @brief What the gateway knows of one event type. */
struct event_type_settings {
    validation_rules rules;                ///< size, depth and sensitive fields of its events
    std::optional<topic_settings> topic;   ///< its topic's partitions, replication, retention; none: the defaults
};

/** @brief Per-client token buckets (one token per request). */
struct rate_limit_settings {
    double requests_per_second = 0;  ///< refill rate; 0 turns rate limiting off
    double burst = 0;                ///< bucket size (>= 1 when on; default: one second's worth)
    std::string client_header;       ///< a header naming the client (e.g. X-Client-ID); empty: the remote address
    std::size_t max_clients = 100'000;  ///< buckets kept at most (full ones are dropped first)
};

/** @brief When to refuse writes with 503 rather than fill the disk. */
struct back_pressure_settings {
    std::int64_t max_backlog_events = 1'000'000;           ///< unpublished outbox rows; 0: no limit
    std::uint64_t min_free_disk_bytes = 1ull << 30;         ///< free space of the database's filesystem; 0: no limit
    std::chrono::seconds retry_after{5};                    ///< the Retry-After of a 503
    std::chrono::milliseconds check_interval{250};          ///< how often the backlog and disk are read
};

/** @brief The whole file. */
struct gateway_settings {
    std::map<std::string, event_type_settings, std::less<>> event_types;
    bool allow_unknown_event_types = false;
    validation_rules unknown_type_rules;  ///< for unknown types when allowed: the process's rules
    std::size_t max_batch_events = 1000;  ///< events in one POST /api/v1/events/batch
    std::size_t max_body_bytes = 4 * 1024 * 1024;  ///< a request body (replaces DOMAIN_EVENTS_HTTP_MAX_BODY_BYTES)
    rate_limit_settings rate_limit;
    back_pressure_settings back_pressure;
    std::chrono::milliseconds shutdown_timeout{10'000};  ///< in-flight requests and the relay's flush
    std::chrono::hours idempotency_retention{24 * 7};   ///< how long an event_id is remembered
    std::size_t group_commit_max_batch = 256;           ///< callers sharing one SQLite transaction
    /// The in-process relay's librdkafka linger.ms. A 202 never waits for Kafka, so a few ms of
    /// gathering cost no client anything and save the broker most of its per-request work.
    std::chrono::milliseconds relay_linger{5};

    /** @brief The rules for `event_type`, or nullptr when it is unknown and unknown types are refused. */
    [[nodiscard]] const validation_rules* rules_for(std::string_view event_type) const noexcept;
};

/// The largest configuration file read, and its deepest nesting.
inline constexpr std::size_t max_settings_file_bytes = 1024 * 1024;
inline constexpr std::size_t max_settings_depth = 8;

/**
 * @brief Reads the configuration text.
 * @param defaults the process's validation rules (DOMAIN_EVENTS_*), which each type starts from.
 * @param origin the file's name, put first in every error.
 * @throws config_error `origin: path.to.field: reason` for the first bad value.
 */
[[nodiscard]] gateway_settings parse_gateway_settings(std::string_view text, const validation_rules& defaults,
                                                      std::string_view origin);

/** @brief Reads the file at `path` (at most `max_settings_file_bytes`). @throws config_error as above, or naming the path when it cannot be read. */
[[nodiscard]] gateway_settings load_gateway_settings(const std::string& path, const validation_rules& defaults);

/**
 * @brief Puts each type's topic settings into `settings.topic_overrides` (where the relay reads
 *        them when it creates a topic) and widens `settings.validation` so that the publisher
 *        accepts what the gateway's per-type rules accepted (the gateway checks those first).
 * @throws config_error when a type has topic settings and routing is not per_event_type.
 */
void apply_to_config(const gateway_settings& gateway, config& settings);

}  // namespace domain_events::gateway
