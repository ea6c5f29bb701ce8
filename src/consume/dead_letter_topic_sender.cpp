#include "consume/dead_letter_topic_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "domain_events/error.hpp"
#include "domain_events/kafka/topic_admin.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "kafka/backoff.hpp"
#include "consume/dead_letter_record.hpp"
#include "kafka/kafka_conf.hpp"
#include "consume/error_text.hpp"

namespace domain_events::detail {
namespace {

constexpr std::chrono::seconds send_timeout{30};
// Room in the dead-letter topic's max.message.bytes beyond the value: key, headers, framing.
constexpr std::size_t headroom = 64 * 1024;

void ensure_topic(const config& settings, const consumer_options& options, const std::shared_ptr<spdlog::logger>& log) {
    const auto dlq = dead_letter_topic(topic_prefix_of(settings));
    // A dead letter may be larger than any event the topics accept.
    auto dlq_settings = settings;
    dlq_settings.validation.max_payload_bytes = dead_letter_topic_record_limit(settings, options);
    try {
        topic_admin admin(dlq_settings, std::chrono::seconds{10}, log);
        const auto report = admin.ensure(topic_spec{dlq, settings.topics});
        log->debug("consumer {}: dead-letter topic {}: {}", options.group_id, dlq, to_string(report.outcome));
    } catch (const error& e) {
        log->warn("consumer {}: could not ensure the dead-letter topic {}: {}", options.group_id, dlq, e.what());
    }
}

std::string position_of(const rd_kafka_message_t& m) {
    return std::string(rd_kafka_topic_name(m.rkt)) + "[" + std::to_string(m.partition) + "]@" + std::to_string(m.offset);
}

}  // namespace

std::size_t dead_letter_topic_record_limit(const config& settings, const consumer_options& options) noexcept {
    return std::max(settings.validation.max_payload_bytes, options.dead_letter_max_bytes + headroom);
}

dead_letter_topic_sender::dead_letter_topic_sender(const context& borrowed) : c_(borrowed) {
    ensure_topic(c_.settings, c_.options, c_.log);
    producer_ = std::make_unique<dead_letter_producer>(
        dead_letter_producer_properties(c_.settings.bootstrap_servers,
                                        dead_letter_topic_record_limit(c_.settings, c_.options),
                                        c_.settings.kafka_properties),
        dead_letter_topic(topic_prefix_of(c_.settings)), *c_.log);
}

bool dead_letter_topic_sender::send(const rd_kafka_message_t& m, dead_letter_reason reason,
                                    const std::string& full_error_text, int attempts) {
    const auto& o = c_.options;
    const auto error_text = cut_text(full_error_text);
    // Whatever the original's key and headers hold, the dead letter fits its topic.
    const dead_letter_record record(m, {reason, error_text, o.group_id, attempts}, o.dead_letter_max_bytes,
                                    dead_letter_topic_record_limit(c_.settings, o));
    backoff pause(o.initial_backoff, o.max_backoff);
    for (int attempt = 1;; ++attempt) {
        const auto result = producer_->send(record, send_timeout);
        if (result == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        const auto text = kafka_error_text(result);
        if (attempt >= o.dead_letter_attempts) {
            throw publish_error("consumer " + o.group_id + ": dead letter for " + position_of(m) + " not delivered to " +
                                    producer_->topic() + " after " + std::to_string(attempt) + " attempts: " + text,
                                result);
        }
        c_.log->warn("consumer {}: dead letter not delivered ({}), retrying", o.group_id, text);
        if (c_.stop.wait_for(pause.next())) return false;
    }
    ++c_.tally.dead_lettered;
    c_.progress.error("dead-lettered " + position_of(m) + ": " + std::string(to_string(reason)) + ": " + error_text);
    c_.log->warn("consumer {}: {}[{}]@{} dead-lettered to {}: {}: {}", o.group_id, rd_kafka_topic_name(m.rkt),
                m.partition, m.offset, producer_->topic(), to_string(reason), error_text);
    return true;
}

}  // namespace domain_events::detail
