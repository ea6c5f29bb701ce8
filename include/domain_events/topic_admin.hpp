#pragma once
/** @file
 * Creating topics before first use through Kafka's Admin API, so publishing works on brokers
 * with auto-creation disabled and topics get the partitions and retention they were meant to have.
 */
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "domain_events/config.hpp"

namespace spdlog { class logger; }

namespace domain_events {

/** @brief A topic and how to create it. */
struct topic_spec {
    std::string name;
    topic_settings settings;
};

/** @brief The topic an event is routed to, with its override from `c.topic_overrides` or the defaults. */
[[nodiscard]] topic_spec topic_spec_for(const config& c, std::string_view event_type, std::string_view aggregate_type);

enum class topic_outcome {
    created,      ///< it did not exist; now it does
    exists,       ///< it was already there (its settings are left as they are)
    unsupported,  ///< the cluster has no Admin API (librdkafka's mock): rely on auto-creation
};
[[nodiscard]] std::string_view to_string(topic_outcome outcome) noexcept;

/** @brief Creates topics through its own Kafka client (not thread-safe). */
class topic_admin {
public:
    /** @throws config_error when librdkafka refuses a property of `c.kafka_properties`. */
    explicit topic_admin(const config& c, std::chrono::milliseconds timeout = std::chrono::seconds{10},
                         std::shared_ptr<spdlog::logger> logger = {});
    ~topic_admin();
    topic_admin(const topic_admin&) = delete;
    topic_admin& operator=(const topic_admin&) = delete;

    /**
     * @brief Creates `spec` unless it exists ("already exists" is success).
     * @throws validation_error for an illegal topic name; publish_error naming the topic when the
     *         broker cannot be reached in time or refuses (e.g. not authorised).
     */
    topic_outcome ensure(const topic_spec& spec);

private:
    struct lookup {
        bool exists = false;
        bool controller_known = false;
    };
    lookup look_up(const std::string& name);

    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
