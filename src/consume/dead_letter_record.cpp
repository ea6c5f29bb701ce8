#include "consume/dead_letter_record.hpp"

#include <algorithm>

namespace domain_events::detail {
namespace {

// Room kept for the headers saying what was cut: three names and 20-digit numbers, with framing.
constexpr std::size_t room_for_notes = 3 * (header_framing_bytes + 32 + 20);

std::size_t header_bytes(const record_header& h) noexcept { return header_framing_bytes + h.name.size() + h.value.size(); }

}  // namespace

std::vector<record_header> message_headers(const rd_kafka_message_t& message) {
    std::vector<record_header> out;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR || headers == nullptr) return out;
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        out.push_back({name, value == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(value), size)});
    }
    return out;
}

dead_letter_record::dead_letter_record(const rd_kafka_message_t& original, const dead_letter_story& story,
                                       std::size_t max_value_bytes, std::size_t record_limit) {
    story_numbers_ = {std::to_string(original.partition), std::to_string(original.offset), std::to_string(story.attempts)};
    std::vector<record_header> told = {{dlq_header::reason, to_string(story.reason)},
                                       {dlq_header::error, story.error},
                                       {dlq_header::topic, rd_kafka_topic_name(original.rkt)},
                                       {dlq_header::partition, story_numbers_[0]},
                                       {dlq_header::offset, story_numbers_[1]},
                                       {dlq_header::group, story.group}};
    if (story.attempts > 0) told.push_back({dlq_header::attempts, story_numbers_[2]});
    const auto bytes = [](const void* p, std::size_t n) {
        return p != nullptr ? std::string_view(static_cast<const char*>(p), n) : std::string_view();
    };
    fit(bytes(original.key, original.key_len), bytes(original.payload, original.len), message_headers(original), told,
        max_value_bytes, record_limit);
}

dead_letter_record::dead_letter_record(std::string_view key, std::string_view value,
                                       std::span<const record_header> original_headers,
                                       std::span<const record_header> story, std::size_t max_value_bytes,
                                       std::size_t record_limit) {
    fit(key, value, original_headers, story, max_value_bytes, record_limit);
}

void dead_letter_record::fit(std::string_view key, std::string_view value,
                             std::span<const record_header> original_headers, std::span<const record_header> story,
                             std::size_t max_value_bytes, std::size_t record_limit) {
    // The story and the notes first; the value within what is left of the limit.
    const auto fixed = kafka_record_bytes({}, {}, story) + room_for_notes;
    const auto value_room = record_limit > fixed ? record_limit - fixed : 0;
    value_ = value.substr(0, std::min({value.size(), max_value_bytes, value_room}));
    auto room = record_limit - std::min(record_limit, fixed + value_.size());
    key_ = key.substr(0, std::min({key.size(), max_dead_letter_key_bytes, room}));
    room -= key_.size();
    std::size_t dropped = 0;
    headers_.reserve(original_headers.size() + story.size() + sizes_.size());
    for (const auto& h : original_headers) {
        if (header_bytes(h) > room) {
            ++dropped;
            continue;
        }
        room -= header_bytes(h);
        headers_.push_back(h);
    }
    headers_.insert(headers_.end(), story.begin(), story.end());
    const auto note = [this](std::size_t slot, std::string_view name, std::size_t number) {
        sizes_[slot] = std::to_string(number);
        headers_.push_back({name, sizes_[slot]});
    };
    if (value_.size() < value.size()) note(0, dlq_header::original_size, value.size());
    if (key_.size() < key.size()) note(1, dlq_header::original_key_size, key.size());
    if (dropped > 0) note(2, dlq_header::original_headers_dropped, dropped);
}

}  // namespace domain_events::detail
