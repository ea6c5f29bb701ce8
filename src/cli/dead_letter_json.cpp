#include "cli/dead_letter_json.hpp"

#include "domain_events/bounded_json.hpp"

namespace domain_events::cli {

nlohmann::json to_json(const outbox_dead_letter& letter, bool with_envelope) {
    nlohmann::json j = {
        {"id", letter.id},
        {"original_position", letter.original_position},
        {"event_id", letter.event_id},
        {"event_type", letter.event_type},
        {"aggregate_type", letter.aggregate_type},
        {"aggregate_id", letter.aggregate_id},
        {"aggregate_version", letter.aggregate_version},
        {"correlation_id", letter.correlation_id ? nlohmann::json(*letter.correlation_id) : nlohmann::json(nullptr)},
        {"created_at", format_timestamp(letter.created_at)},
        {"dead_at", format_timestamp(letter.dead_at)},
        {"attempts", letter.attempts},
        {"error", letter.error},
    };
    if (with_envelope) {
        // Stored by the library, so normally JSON; shown as text if someone wrote the table by hand.
        auto envelope = try_parse_bounded_json(letter.payload, {letter.payload.size(), default_max_json_depth});
        j["envelope"] = envelope ? std::move(*envelope) : nlohmann::json(letter.payload);
    }
    return j;
}

nlohmann::json dead_letter_page(outbox& box, std::size_t limit, std::int64_t after_id) {
    // One more than asked tells whether another page follows.
    auto letters = box.dead_letters(limit + 1, after_id);
    const bool more = letters.size() > limit;
    if (more) letters.pop_back();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& letter : letters) list.push_back(to_json(letter, false));
    return {{"dead_letters", std::move(list)},
            {"next_after", more ? nlohmann::json(letters.back().id) : nlohmann::json(nullptr)}};
}

}  // namespace domain_events::cli
