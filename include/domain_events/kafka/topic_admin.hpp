#pragma once
/** @file
 * Creating topics before first use through Kafka's Admin API, so publishing works on brokers
 * with auto-creation disabled and topics get the partitions and retention they were meant to
 * have; a topic that already exists is compared with what was asked for. docs/topics.md.
 */
#include <chrono>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/config.hpp"

namespace spdlog { class logger; }

namespace domain_events {

/**
 * @brief A topic and how to create it. The settings are the config's `topic_settings`
 *        (partitions 3, replication factor -1 = the broker's default, retention_ms 0 = the
 *        broker's default, -1 = forever), so `config::topics` and its overrides are used as they are.
 */
struct topic_spec {
    std::string name;
    topic_settings settings;
};

/**
 * @brief Checks a spec without asking the cluster: a legal topic name, partitions >= 1,
 *        replication factor -1 or >= 1, retention_ms >= -1.
 * @throws validation_error naming the field (`topic_spec.name`, `topic_spec.settings.partitions`,
 *         ...), the value and the topic.
 */
void validate(const topic_spec& spec);

/**
 * @brief The topic an event is routed to (`topic_for` with the config's prefix and routing),
 *        with `c.topic_overrides[key]` when present, else `c.topics`; the key is the event type
 *        under `per_event_type`, the aggregate type under `per_aggregate`. Not validated.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] topic_spec topic_spec_for(const config& c, std::string_view event_type, std::string_view aggregate_type);

/** @brief What `topic_admin::ensure` found or did. */
enum class topic_outcome {
    created,      ///< it did not exist; now it does, as asked
    matches,      ///< it existed with the settings asked for (those not left to the broker)
    differs,      ///< it existed with other settings, left as they are; the report's detail says which
    unsupported,  ///< the cluster has no Admin API (librdkafka's mock): rely on auto-creation
};

/** @brief "created", "matches", "differs", "unsupported"; "invalid" outside the enum. */
[[nodiscard]] std::string_view to_string(topic_outcome outcome) noexcept;

/** @brief One topic's outcome, and for `differs` which settings differ. */
struct topic_report {
    std::string topic;
    topic_outcome outcome = topic_outcome::unsupported;
    /// `differs`: each difference, `; `-separated, e.g. "partitions: want 6, have 3";
    /// `unsupported`: why; otherwise empty.
    std::string detail;

    /** @brief Shorthand for `report.outcome == outcome`. */
    friend bool operator==(const topic_report& report, topic_outcome expected) noexcept {
        return report.outcome == expected;
    }
};

/** @brief Writes `to_string(outcome)`. */
std::ostream& operator<<(std::ostream& out, topic_outcome outcome);
/** @brief Writes `topic: outcome (detail)`, for logs and test failures. */
std::ostream& operator<<(std::ostream& out, const topic_report& report);

/**
 * @brief Creates topics through its own Kafka client, or compares them when they exist.
 *        Not thread-safe: one caller at a time.
 */
class topic_admin {
public:
    /**
     * @brief A client for `c.bootstrap_servers` with `c.kafka_properties` (SASL, TLS); connects lazily.
     * @param timeout how long each request to the cluster may take.
     * @param logger where librdkafka's and this class's messages go; empty: spdlog's default.
     * @throws config_error when `bootstrap_servers` is empty or librdkafka refuses a property;
     *         usage_error when `timeout` is not positive.
     */
    explicit topic_admin(const config& c, std::chrono::milliseconds timeout = std::chrono::seconds{10},
                         std::shared_ptr<spdlog::logger> logger = {});
    ~topic_admin();
    topic_admin(const topic_admin&) = delete;
    topic_admin& operator=(const topic_admin&) = delete;

    /**
     * @brief Creates `spec` unless it exists ("already exists" is success), with
     *        `max.message.bytes` = the config's `validation.max_payload_bytes`, else compares its
     *        partitions and replication factor (metadata) and retention.ms (DescribeConfigs);
     *        a replication factor of -1 or retention_ms of 0 (broker defaults) is not compared.
     *        A `max.message.bytes` below `validation.max_payload_bytes` is a difference too.
     * @return `created`, `matches`, `differs` (with the differences in `detail`) or `unsupported`.
     * @throws validation_error for a spec `validate` refuses, before any request;
     *         publish_error naming the topic and librdkafka's error when the cluster cannot be
     *         reached in time, or refuses (e.g. not authorised, replication factor above the
     *         number of brokers).
     */
    topic_report ensure(const topic_spec& spec);

    /**
     * @brief `ensure` for several topics with one request of each kind; reports in the order of
     *        `specs`. Every spec is validated (fields named `topic_specs[i]. ...`, a name given
     *        twice refused) before any request.
     * @throws validation_error as above; publish_error naming each topic that failed (the
     *         others may have been created: ensuring again reports them as `matches`).
     */
    std::vector<topic_report> ensure(std::span<const topic_spec> specs);

    /**
     * @brief Asks every broker for its `message.max.bytes` (DescribeConfigs); for each below the
     *        config's `validation.max_payload_bytes` (a topic without a limit of its own would
     *        refuse the largest events validation accepts), and each broker that did not answer,
     *        logs a warning naming the setting to change.
     * @return those warnings; empty when every broker takes every event, or the cluster has no
     *         Admin API (librdkafka's mock).
     * @throws publish_error when the cluster cannot be reached in time.
     */
    std::vector<std::string> broker_limit_problems();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
