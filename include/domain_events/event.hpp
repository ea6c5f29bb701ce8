#pragma once
/** @file
 * The envelope every event shares, its JSON form, ids and timestamps.
 */
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain_events/bounded_json.hpp"

namespace domain_events {

/** @brief Where an event comes from and how to trace it. */
struct event_metadata {
    std::string source = "domain-events";  ///< the producing application
    std::string version = "1.0";           ///< the envelope's schema version (major.minor)
    std::optional<std::string> correlation_id;  ///< the request or workflow the event belongs to
    std::optional<std::string> causation_id;    ///< the event or command that caused this one
    /// W3C Trace Context of the operation that published the event (trace_context.hpp). Not part
    /// of the envelope's JSON: the relay sends them as the Kafka headers `traceparent` and
    /// `tracestate`, and a consumer reads them back from there (docs/interop.md, "Tracing").
    std::optional<std::string> traceparent = std::nullopt;
    std::optional<std::string> tracestate = std::nullopt;  ///< only together with a traceparent

    bool operator==(const event_metadata&) const = default;
};

/** @brief One domain event: `<aggregate_type>` `<aggregate_id>` reached `<aggregate_version>` by `<event_type>`. */
struct event {
    std::string event_id;    ///< UUID, lower case (v7 when made by `make_event`)
    std::string event_type;  ///< `resource.action`, e.g. `patient.created`
    std::chrono::sys_time<std::chrono::milliseconds> timestamp;  ///< UTC, millisecond precision
    std::string aggregate_type;          ///< e.g. `patient`
    std::string aggregate_id;            ///< the Kafka key: text, whatever the row's key type
    std::int64_t aggregate_version = 0;  ///< +1 per event of this aggregate
    nlohmann::json data = nlohmann::json::object();
    event_metadata metadata;

    bool operator==(const event&) const = default;
};

/**
 * @brief A new event with a fresh UUID v7 carrying the current UTC time, which is also its
 *        `timestamp`, truncated to milliseconds so that it survives the JSON round trip
 *        unchanged. Nothing is validated here.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] event make_event(std::string event_type, std::string aggregate_type, std::string aggregate_id,
                               std::int64_t aggregate_version, nlohmann::json data, event_metadata metadata = {});

/**
 * @brief A UUID v7 (RFC 9562: 48 bits of Unix time in milliseconds, then 74 random bits from
 *        the kernel's getrandom; formatted by libuuid), as 36 characters of lower-case text.
 *        Ids sort by their time, so indexes keyed by them stay append-mostly.
 * @throws usage_error when `at` is before 1970.
 */
[[nodiscard]] std::string new_event_id(std::chrono::sys_time<std::chrono::milliseconds> at);
/** @brief `new_event_id` at the current time. */
[[nodiscard]] std::string new_event_id();

/** @brief True for the canonical 36-character UUID text form (any version, either case). */
[[nodiscard]] bool is_uuid(std::string_view text) noexcept;

/**
 * @brief `2025-12-14T19:00:00.123Z`: always UTC, always three fraction digits.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::string format_timestamp(std::chrono::sys_time<std::chrono::milliseconds> t);

/**
 * @brief Parses `YYYY-MM-DDTHH:MM:SS[.f…]` followed by `Z` or `+00:00`. One to nine fraction
 *        digits are read (other producers write microseconds); digits past the millisecond are
 *        dropped.
 * @param field the field the text came from, reported as the error's field.
 * @throws validation_error naming `field` and the text when it is not such a UTC timestamp.
 */
[[nodiscard]] std::chrono::sys_time<std::chrono::milliseconds> parse_timestamp(std::string_view text,
                                                                                std::string_view field = "timestamp");

/**
 * @brief The envelope as JSON, in the shape docs/interop.md shows; a correlation or causation id
 *        that is not set (nullopt) is left out, and so is the trace context (sent as headers).
 * @throws std::bad_alloc only.
 */
[[nodiscard]] nlohmann::json to_json(const event& e);

/**
 * @brief Compact JSON text of the envelope, the same text as `to_json(e).dump()`.
 * @throws nlohmann::json::type_error when a string (in `e.data` or the envelope) is not UTF-8.
 */
[[nodiscard]] std::string serialize(const event& e);

/**
 * @brief Reads an envelope, checking the shape only (see `validate_event` for the rules).
 *        Unknown members are ignored; null correlation or causation ids read as not set.
 * @param max_depth the deepest nesting of objects and arrays accepted, the envelope being level 1
 *        (bounded_json.hpp); checked first, without recursion, so any tree is safe to pass.
 * @throws validation_error naming the missing or ill-typed field and the value found,
 *         e.g. `aggregate_version: expected an integer, got "4"`, or the path nested too deep.
 */
[[nodiscard]] event event_from_json(const nlohmann::json& j, std::size_t max_depth = default_max_json_depth);

/**
 * @brief Parses envelope JSON text, nested no deeper than @p max_depth (checked before any tree
 *        is built).
 * @throws validation_error with field `envelope` when the text is not JSON (its offset, never its
 *         content), with the path of a value nested too deep, else as `event_from_json`.
 */
[[nodiscard]] event parse_event(std::string_view json_text, std::size_t max_depth = default_max_json_depth);

}  // namespace domain_events
