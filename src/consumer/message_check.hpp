#pragma once
// What a consumer checks before a message reaches a handler: size, JSON, then the envelope rules
// every producer's events meet (check_envelope_rules, as `domain-events validate` does). Internal.
#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain_events/bounded_json.hpp"
#include "domain_events/dead_letter_headers.hpp"
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
 * @brief Checks a value: size, nesting depth (both before any tree is built), JSON, the
 *        envelope's shape and `check_envelope_rules` (a wrong major version: unsupported_version).
 */
[[nodiscard]] checked_message check_value(std::string_view value, const json_bounds& bounds);

/** @brief `check_value` on a message's payload (an absent payload is empty). */
[[nodiscard]] inline checked_message check_message(const rd_kafka_message_t& m, const json_bounds& bounds) {
    return check_value({static_cast<const char*>(m.payload), m.payload != nullptr ? m.len : 0}, bounds);
}

}  // namespace domain_events::detail
