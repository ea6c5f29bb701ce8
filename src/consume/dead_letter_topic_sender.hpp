#pragma once
// The consumer's dead-letter path: what it cannot process goes to the dead-letter topic
// `<prefix>.dlq` (not to be confused with the outbox's dead-letter table, which holds events the
// relay could not publish). Ensures the topic, fits each record to it, sends one at a time and
// waits for Kafka's acknowledgement, retrying with backoff, so that the source offset is stored
// only once the dead letter is safe. Internal.
#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <memory>
#include <string>

#include "domain_events/config.hpp"
#include "domain_events/consume/consumer_options.hpp"
#include "domain_events/consume/dead_letter_topic_headers.hpp"
#include "consume/consumer_progress.hpp"
#include "consume/consumer_tally.hpp"
#include "consume/dead_letter_producer.hpp"
#include "consume/stop_request.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/**
 * @brief The dead-letter topic's `max.message.bytes` and its producer's `message.max.bytes`: the
 *        largest event the topics accept, or the value a dead letter keeps
 *        (`dead_letter_max_bytes`, whatever a producer sent) with room for its story in headers.
 */
[[nodiscard]] std::size_t dead_letter_topic_record_limit(const config& settings, const consumer_options& options) noexcept;

class dead_letter_topic_sender {
public:
    /** @brief What the sender borrows from its consumer; each must outlive it. */
    struct context {
        const config& settings;
        const consumer_options& options;
        std::shared_ptr<spdlog::logger> log;
        stop_request& stop;
        consumer_tally& tally;
        consumer_progress& progress;
    };

    /**
     * @brief Ensures the topic (best effort: a broker that creates topics on first use, or the
     *        mock cluster, which has no Admin API, still works) and makes its producer.
     * @throws config_error when librdkafka refuses a property.
     */
    explicit dead_letter_topic_sender(const context& borrowed);

    /**
     * @brief Sends `m` with its story and waits for the acknowledgement, up to
     *        `dead_letter_attempts` times; counts, logs and notes it in the status once delivered.
     * @return false when stop() came during a pause between attempts.
     * @throws publish_error when the last attempt failed.
     */
    bool send(const rd_kafka_message_t& m, dead_letter_reason reason, const std::string& full_error_text, int attempts);

private:
    context c_;
    std::unique_ptr<dead_letter_producer> producer_;
};

}  // namespace domain_events::detail
