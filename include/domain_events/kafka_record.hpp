#pragma once
/** @file
 * The Kafka record an event becomes: its headers and its size as Kafka counts it, so that one
 * limit (`validation_rules::max_payload_bytes`) holds from validation to the broker
 * (docs/interop.md, "Size limits").
 */
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "domain_events/event.hpp"

namespace domain_events {

/** @brief One header of a record: a name and a value, both borrowed. */
struct record_header {
    std::string_view name;
    std::string_view value;
};

/** @brief The headers the relay sends with an event, borrowed from the strings they were made of. */
struct event_headers {
    std::array<record_header, 5> items{};
    std::size_t count = 0;
    [[nodiscard]] std::span<const record_header> all() const noexcept { return {items.data(), count}; }
};

/**
 * @brief In order: `event_id`, `event_type`, `content-type` (application/json), `schema-version`
 *        (the envelope's metadata.version) and, when there is one, `correlation_id`.
 */
[[nodiscard]] event_headers headers_of(std::string_view event_id, std::string_view event_type,
                                       std::string_view schema_version,
                                       std::optional<std::string_view> correlation_id) noexcept;

/**
 * @brief Kafka's framing of a record alone in its batch, at most: the record batch header (61
 *        bytes, what the broker counts against `message.max.bytes` with the record) and the
 *        record's length, attributes, timestamp and offset deltas, key and value lengths and
 *        header count as varints at their widest (36 bytes).
 */
inline constexpr std::size_t record_framing_bytes = 61 + 36;
/** @brief A header's framing, at most: its name's and its value's lengths as varints. */
inline constexpr std::size_t header_framing_bytes = 10;

/**
 * @brief The bytes Kafka counts for a record with `key`, `value` and `headers` alone in an
 *        uncompressed batch, or a few more (the varints are counted at their widest): what the
 *        broker compares with a topic's `max.message.bytes`, and never less than librdkafka
 *        compares with the producer's `message.max.bytes`.
 */
[[nodiscard]] std::size_t kafka_record_bytes(std::string_view key, std::string_view value,
                                             std::span<const record_header> headers) noexcept;

/** @brief `kafka_record_bytes` of the record the relay makes of `e`, whose envelope is `serialized`. */
[[nodiscard]] std::size_t kafka_record_bytes(const event& e, std::string_view serialized) noexcept;

}  // namespace domain_events
