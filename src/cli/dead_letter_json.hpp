#pragma once
// A dead letter as JSON, the same for `domain-events dead-letters` and the relay's HTTP endpoint.
#include <nlohmann/json.hpp>

#include "domain_events/storage/outbox.hpp"

namespace domain_events::cli {

/** @brief Its fields; with `with_envelope` also `envelope`, the event as stored (it may hold personal data). */
[[nodiscard]] nlohmann::json to_json(const outbox_dead_letter& letter, bool with_envelope);

/** @brief `{"dead_letters": [...], "next_after": <last id, or null when there are no more>}`, without envelopes. */
[[nodiscard]] nlohmann::json dead_letter_page(outbox& box, std::size_t limit, std::int64_t after_id);

}  // namespace domain_events::cli
