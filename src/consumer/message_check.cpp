#include "message_check.hpp"

#include "../envelope_reader.hpp"
#include "domain_events/error.hpp"
#include "domain_events/validation.hpp"

namespace domain_events::detail {

checked_message check_value(std::string_view value, const json_bounds& bounds) {
    const auto problem = [](dead_letter_reason reason, std::string text) {
        return checked_message{std::nullopt, message_problem{reason, std::move(text)}};
    };
    if (value.size() > bounds.max_bytes) {
        return problem(dead_letter_reason::too_large, "value: " + std::to_string(value.size()) +
                                                          " bytes, over the limit of " + std::to_string(bounds.max_bytes) +
                                                          " (validation.max_payload_bytes)");
    }
    try {
        auto e = read_envelope(value, bounds.max_depth);
        if (!e) {  // not a well-formed envelope: the tree names what is wrong, once its depth is known safe
            check_json_depth(value, bounds.max_depth, "envelope");
            const auto json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
            if (json.is_discarded()) {
                return problem(dead_letter_reason::not_json,
                               "value: " + std::to_string(value.size()) + " bytes that are not JSON");
            }
            e = event_from_json(json, bounds.max_depth);
        }
        check_envelope_rules(*e, bounds.max_depth);
        return {std::move(*e), std::nullopt};
    } catch (const validation_error& bad) {
        return problem(bad.field() == "metadata.version" ? dead_letter_reason::unsupported_version
                                                         : dead_letter_reason::invalid_envelope,
                       bad.what());
    }
}

}  // namespace domain_events::detail
