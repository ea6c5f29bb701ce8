#pragma once
/** @file
 * Settings: a plain struct with defaults, filled from code or from the environment.
 * docs/publishing.md lists every variable.
 */
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "domain_events/publish/envelope_format.hpp"
#include "domain_events/ops/http_limits.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "domain_events/publish/validation.hpp"

namespace domain_events {

/** @brief How a topic is created when the relay first needs it (see docs/topics.md). */
struct topic_settings {
    int partitions = 3;           ///< >= 1
    int replication_factor = -1;  ///< -1: the broker's default.replication.factor; else >= 1
    std::int64_t retention_ms = 0;  ///< retention.ms: 0 leaves the broker's default, -1 keeps forever
};

/** @brief Everything the library can be told; each member names the variable that sets it. */
struct config {
    std::string bootstrap_servers;                          ///< KAFKA_BOOTSTRAP_SERVERS; empty: embedded cluster
    bool kafka_enabled = true;                              ///< KAFKA_ENABLED (true/false, 1/0, yes/no)
    /// KAFKA_TOPIC_PREFIX. No default: the application names its topics (`healthcore` gives
    /// `healthcore.patient.created`); an empty string is an explicit "no prefix".
    std::optional<std::string> topic_prefix;
    topic_routing routing = topic_routing::per_event_type;  ///< KAFKA_TOPIC_ROUTING
    /// DOMAIN_EVENTS_ENVELOPE_FORMAT: the records the relay produces (and validation sizes), our
    /// envelope or a CloudEvent (envelope_format.hpp); consumers read all three whatever it says.
    domain_events::envelope_format envelope_format = domain_events::envelope_format::native;
    std::string database_path = "domain_events.db";         ///< DOMAIN_EVENTS_DB
    /// KAFKA_PROPERTY_<NAME>, passed to librdkafka; `<NAME>` lower-cased, `_` -> `.`
    /// (KAFKA_PROPERTY_SASL_MECHANISMS -> sasl.mechanisms).
    std::map<std::string, std::string> kafka_properties;
    std::string source = "domain-events";  ///< DOMAIN_EVENTS_SOURCE: metadata.source of events
    /// DOMAIN_EVENTS_MAX_PAYLOAD_BYTES, DOMAIN_EVENTS_MAX_JSON_DEPTH (2..1000, default 64),
    /// DOMAIN_EVENTS_SENSITIVE_FIELDS (comma list), DOMAIN_EVENTS_SENSITIVE_POLICY (refuse|redact).
    validation_rules validation;
    std::size_t relay_batch_size = 1000;                  ///< DOMAIN_EVENTS_RELAY_BATCH_SIZE (1..100000)
    int relay_max_attempts = 10;                          ///< DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS (>= 1)
    std::chrono::milliseconds relay_poll_interval{10};    ///< DOMAIN_EVENTS_RELAY_POLL_INTERVAL_MS (1..10000)
    std::chrono::milliseconds lease_period{10000};        ///< DOMAIN_EVENTS_LEASE_PERIOD_MS (500 ms .. 1 day)
    std::chrono::seconds published_retention{24 * 3600};  ///< DOMAIN_EVENTS_RETENTION_SECONDS (0 .. 100 years; 0: at once)
    /// KAFKA_TOPIC_PARTITIONS, KAFKA_TOPIC_REPLICATION_FACTOR, KAFKA_TOPIC_RETENTION_MS
    topic_settings topics;
    /// Per topic, keyed by what follows the prefix (the event type under per_event_type, the
    /// aggregate type under per_aggregate; `validate` refuses a key of the other kind); code only.
    /// `topic_spec_for` (topic_admin.hpp) picks the override or `topics`.
    std::map<std::string, topic_settings, std::less<>> topic_overrides;
    /// Aggregate types whose versions the application keeps itself, in the transaction of each
    /// write (a repository's own `version` column, read and bumped under the write lock): the
    /// publisher neither records nor checks their versions, which saves the save path one write
    /// (docs/publishing.md), and refuses to publish one of their events without a version. Code only.
    std::set<std::string, std::less<>> versions_kept_by_application;
    /// DOMAIN_EVENTS_HTTP_*: what the relay's, consumers' and applications' HTTP endpoints
    /// accept from a client (http_limits.hpp names each variable).
    http_limits http;
};

/**
 * @brief True for a setting whose value is never printed, logged or served: its name holds
 *        password, secret, jaas, key, token or credentials, in any case (`sasl.password`,
 *        `KAFKA_PROPERTY_SASL_JAAS_CONFIG`, `ssl.key.location`, `DOMAIN_EVENTS_ADMIN_TOKEN`).
 */
[[nodiscard]] bool is_secret_setting(std::string_view name) noexcept;

/** @brief `value` as an error or a log may show it: `[redacted]` for a secret setting's. */
[[nodiscard]] std::string printable_setting(std::string_view name, std::string_view value);

/** @brief Environment variables by name; tests pass their own instead of calling setenv. */
using environment = std::map<std::string, std::string, std::less<>>;

/**
 * @brief A snapshot of this process's environment (`::environ`).
 * @throws std::bad_alloc only.
 */
[[nodiscard]] environment process_environment();

/**
 * @brief The defaults, overridden by the variables present in `env`, then checked as `validate`
 *        does, except that the topic prefix may stay unset (a command that publishes nothing, or
 *        learns the prefix from its outbox, needs none). Keywords (KAFKA_ENABLED, KAFKA_TOPIC_ROUTING,
 *        DOMAIN_EVENTS_ENVELOPE_FORMAT, DOMAIN_EVENTS_SENSITIVE_POLICY) are
 *        case-insensitive; numbers are plain decimal integers.
 * @throws config_error listing EVERY bad value, whether it does not parse or breaks a rule, one
 *         per line as `NAME='value': reason`.
 */
[[nodiscard]] config config_from_environment(const environment& env);

/**
 * @brief Checks a config built in code: the prefix is set and a legal topic prefix, the enums hold
 *        declared values, sizes and periods are in range, names are non-empty, every broker of
 *        `bootstrap_servers` is `[scheme://]host[:port]` with a port of 1..65535, and
 *        `kafka_properties` does not name the brokers a second time, differently. Values of
 *        secret settings (`is_secret_setting`) are shown as `[redacted]`.
 * @throws config_error listing every bad field, one per line as `field='value': reason`.
 */
void validate(const config& c);

/**
 * @brief `c.topic_prefix`, which has no default.
 * @throws config_error naming KAFKA_TOPIC_PREFIX when it is unset.
 */
[[nodiscard]] const std::string& topic_prefix_of(const config& c);

}  // namespace domain_events
