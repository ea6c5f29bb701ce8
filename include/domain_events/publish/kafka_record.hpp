#pragma once
/** @file
 * The Kafka record an event becomes, in each `envelope_format`: its headers and its size as
 * Kafka counts it, so that one limit (`validation_rules::max_payload_bytes`) holds from
 * validation to the broker (docs/interop.md, "Size limits" and "Wire format").
 */
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "domain_events/publish/envelope_format.hpp"
#include "domain_events/event.hpp"

namespace domain_events {

/** @brief One header of a record: a name and a value, both borrowed. */
struct record_header {
    std::string_view name;
    std::string_view value;
};

/** @brief The headers the relay sends with an event, borrowed from the strings they were made of. */
struct event_headers {
    std::array<record_header, 17> items{};
    std::size_t count = 0;
    [[nodiscard]] std::span<const record_header> all() const noexcept { return {items.data(), count}; }
    void add(std::string_view name, std::string_view value) noexcept { items[count++] = {name, value}; }
};

/** @brief An event's fields as text (views into an event or an outbox row), what records are made of. */
struct record_fields {
    // Every member has an initializer, so designated initializers may name only some.
    std::string_view event_id{};
    std::string_view event_type{};
    std::string_view timestamp{};  ///< `format_timestamp`'s form
    std::string_view source{};
    std::string_view aggregate_type{};
    std::string_view aggregate_id{};
    std::string_view aggregate_version{};  ///< decimal
    std::string_view schema_version{};     ///< metadata.version
    std::optional<std::string_view> correlation_id = std::nullopt;
    std::optional<std::string_view> causation_id = std::nullopt;
    std::optional<std::string_view> traceparent = std::nullopt;
    std::optional<std::string_view> tracestate = std::nullopt;
};

/**
 * @brief The headers of an event's record, in order.
 *        - `native`: `event_id`, `event_type`, `content-type` (application/json), `schema-version`
 *          (metadata.version), then when set `correlation_id`, `traceparent`, `tracestate`. Only
 *          those fields of `f` are read.
 *        - `cloudevents_binary`: `ce_specversion` (1.0), `ce_id`, `ce_source`, `ce_type`,
 *          `ce_time`, `ce_subject` (aggregate id), `content-type` (application/json),
 *          `ce_aggregatetype`, `ce_aggregateversion`, `ce_schemaversion`, `ce_partitionkey`
 *          (aggregate id, the key), then when set `ce_correlationid`, `ce_causationid`,
 *          `ce_traceparent`, `ce_tracestate`, `traceparent`, `tracestate`.
 *        - `cloudevents_structured`: `content-type` (application/cloudevents+json; charset=UTF-8),
 *          then when set `traceparent`, `tracestate` (the attributes are in the value).
 */
[[nodiscard]] event_headers headers_of(const record_fields& f, envelope_format format = envelope_format::native) noexcept;

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

/**
 * @brief `kafka_record_bytes` of the record the relay makes of `e`, whose envelope is
 *        `serialized` (`serialize(e)`), in `format`.
 * @throws std::bad_alloc only (a CloudEvents format renders the record to count it).
 */
[[nodiscard]] std::size_t kafka_record_bytes(const event& e, std::string_view serialized,
                                             envelope_format format = envelope_format::native);

}  // namespace domain_events
