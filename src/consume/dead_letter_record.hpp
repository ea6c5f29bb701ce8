#pragma once
// A dead letter fitted within the dead-letter topic's record limit, whatever the producer of the
// original put in its key and headers. A dead letter the broker (or librdkafka) refuses for good
// stops the consumer, which reads the same message again after every restart: one message with
// 150 KB of headers stopped its group for good. The story (dlq.* headers) is always kept, the
// value is cut to dead_letter_max_bytes, then the key and the original headers fill what room is
// left, each cut or left out with a header saying so. Internal.
#include <librdkafka/rdkafka.h>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/consume/dead_letter_topic_headers.hpp"
#include "domain_events/publish/kafka_record.hpp"
#include "consume/error_text.hpp"

namespace domain_events::detail {

/// The original key a dead letter keeps, at most (a key names an aggregate; this is generous).
inline constexpr std::size_t max_dead_letter_key_bytes = 16 * 1024;

/** @brief The headers of a message as librdkafka holds them (borrowed: valid while it lives). */
[[nodiscard]] std::vector<record_header> message_headers(const rd_kafka_message_t& message);

/** @brief What went wrong with a message, for its dlq.* headers. */
struct dead_letter_story {
    dead_letter_reason reason;
    std::string_view error;  ///< cut with `cut_text` by the caller
    std::string_view group;
    int attempts = 0;  ///< handler attempts or deaths; 0: no dlq.attempts header
};

/** @brief A record for the dead-letter topic; its views borrow from the inputs and from itself. */
class dead_letter_record {
public:
    /** @brief `original`'s key, value and headers with the story's headers, fitted as below. */
    dead_letter_record(const rd_kafka_message_t& original, const dead_letter_story& story, std::size_t max_value_bytes,
                       std::size_t record_limit);

    /**
     * @param story the dlq.* headers, kept whole (the caller bounds them: the error with `cut_text`).
     * @param max_value_bytes the value is cut to this (`consumer_options::dead_letter_max_bytes`).
     * @param record_limit the dead-letter topic's `max.message.bytes` and its producer's
     *        `message.max.bytes`, as `kafka_record_bytes` counts: the record never exceeds it.
     */
    dead_letter_record(std::string_view key, std::string_view value, std::span<const record_header> original_headers,
                       std::span<const record_header> story, std::size_t max_value_bytes, std::size_t record_limit);
    dead_letter_record(const dead_letter_record&) = delete;
    dead_letter_record& operator=(const dead_letter_record&) = delete;

    [[nodiscard]] std::string_view key() const noexcept { return key_; }
    [[nodiscard]] std::string_view value() const noexcept { return value_; }
    /** @brief The original headers that fitted, in their order, then the story, then what was cut. */
    [[nodiscard]] std::span<const record_header> headers() const noexcept { return headers_; }

private:
    void fit(std::string_view key, std::string_view value, std::span<const record_header> original_headers,
             std::span<const record_header> story, std::size_t max_value_bytes, std::size_t record_limit);

    std::array<std::string, 3> story_numbers_;  // partition, offset, attempts
    std::string_view key_;
    std::string_view value_;
    std::array<std::string, 3> sizes_;  // the values of the headers saying what was cut
    std::vector<record_header> headers_;
};

}  // namespace domain_events::detail
