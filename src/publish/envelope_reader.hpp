#pragma once
// Reads envelope text straight into an event, building a JSON tree for `data` only: a consumer
// parses every message, and a tree for the envelope's own members cost more than the rest of its
// check. Internal.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "domain_events/event.hpp"

namespace domain_events::detail {

/**
 * @brief The event in `text` when it is one JSON object holding every envelope member with its
 *        JSON type (as `event_from_json` requires them), each at most once, nested no deeper than
 *        `max_depth` (unknown members too); else nullopt, and `event_from_json` on the parsed tree
 *        names the problem. Unknown members are skipped.
 * @throws validation_error as `event_from_json` for an `event_id` that is not a UUID or a
 *         `timestamp` that is not UTC.
 */
[[nodiscard]] std::optional<event> read_envelope(std::string_view text,
                                                std::size_t max_depth = default_max_json_depth);

/** @brief An unsigned JSON integer above INT64_MAX is an integer, but not a version an event can hold. */
[[nodiscard]] constexpr bool fits_a_version(std::uint64_t value) noexcept {
    return value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}

/** @throws validation_error naming `event_id` when `id` is not a UUID (`event_from_json`'s check). */
void check_event_id(const std::string& id);

}  // namespace domain_events::detail
