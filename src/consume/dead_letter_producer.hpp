#pragma once
// Sends what a consumer cannot process to `<prefix>.dlq`, one message at a time, waiting for
// Kafka's acknowledgement so the source offset is stored only once the dead letter is safe. Internal.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consume/dead_letter_record.hpp"
#include "domain_events/detail/handles.hpp"
#include "kafka/kafka_log.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/**
 * @brief Idempotent, acks=all, `message.max.bytes` = `record_limit` (the dead-letter topic's
 *        `max.message.bytes`, which `dead_letter_record` fits); the user's properties on top.
 */
[[nodiscard]] std::map<std::string, std::string> dead_letter_producer_properties(
    const std::string& bootstrap_servers, std::size_t record_limit, const std::map<std::string, std::string>& user);

class dead_letter_producer : private kafka_log_target {
public:
    /** @throws config_error when librdkafka refuses a property. */
    dead_letter_producer(const std::map<std::string, std::string>& properties, std::string topic, spdlog::logger& log_to);

    dead_letter_producer(const dead_letter_producer&) = delete;
    dead_letter_producer& operator=(const dead_letter_producer&) = delete;

    /**
     * @brief Sends `record` and waits up to `timeout` for the acknowledgement.
     * @return NO_ERROR once acknowledged; else the error (the caller retries or gives up).
     */
    rd_kafka_resp_err_t send(const dead_letter_record& record, std::chrono::milliseconds timeout);

    [[nodiscard]] const std::string& topic() const noexcept { return topic_; }

private:
    static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*);

    std::string topic_;
    std::uint64_t sequence_ = 0;                    // of the message `send` waits for
    std::optional<rd_kafka_resp_err_t> result_;     // its delivery report, once served
    kafka_handle client_;  // last: destroyed first
};

}  // namespace domain_events::detail
