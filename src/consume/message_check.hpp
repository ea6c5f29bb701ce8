#pragma once
// What a consumer checks before a message reaches a handler: its format (our envelope, or a
// CloudEvent in binary or structured mode), size and nesting, JSON, then the envelope rules
// every producer's events meet (check_envelope_rules, as `domain-events validate` does). Internal.
#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain_events/bounded_json.hpp"
#include "domain_events/consume/dead_letter_topic_headers.hpp"
#include "domain_events/publish/envelope_format.hpp"
#include "domain_events/event.hpp"

namespace domain_events::detail {

struct message_problem {
    dead_letter_reason reason;
    std::string text;  ///< names the field or value at fault
};

/** @brief Either the parsed event or why the message goes to the dead letters. */
struct checked_message {
    std::optional<event> parsed;
    std::optional<message_problem> problem;
};

/**
 * @brief Checks a native envelope: size, nesting depth (both before any tree is built), JSON, the
 *        envelope's shape and `check_envelope_rules` (a wrong major version: unsupported_version).
 */
[[nodiscard]] checked_message check_value(std::string_view value, const json_bounds& bounds);

/**
 * @brief The format of a message, from its headers as the CloudEvents Kafka binding says: a
 *        `content-type` starting with `application/cloudevents` (any case) is structured mode, a
 *        `ce_specversion` header binary mode, anything else our envelope.
 */
[[nodiscard]] envelope_format format_of(const rd_kafka_message_t& m);

/**
 * @brief Checks a message in whichever format it came (`format_of`), bounded as `check_value`
 *        (binary mode: the value and the attribute headers each within `max_bytes`, `data` within
 *        `max_depth` - 1 levels), then `check_envelope_rules`; an error names the CloudEvents
 *        attribute at fault for a CloudEvent. The W3C trace context is read leniently
 *        (`trace_context::receive`, never a reason to dead-letter): the `traceparent` and
 *        `tracestate` headers when the `traceparent` header is valid, else a CloudEvent's
 *        distributed tracing attributes.
 */
[[nodiscard]] checked_message check_message(const rd_kafka_message_t& m, const json_bounds& bounds);

}  // namespace domain_events::detail
