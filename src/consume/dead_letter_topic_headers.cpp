#include "domain_events/consume/dead_letter_topic_headers.hpp"

namespace domain_events {

std::string_view to_string(dead_letter_reason reason) noexcept {
    switch (reason) {
        case dead_letter_reason::not_json: return "not_json";
        case dead_letter_reason::invalid_envelope: return "invalid_envelope";
        case dead_letter_reason::unsupported_version: return "unsupported_version";
        case dead_letter_reason::too_large: return "too_large";
        case dead_letter_reason::handler_failed: return "handler_failed";
        case dead_letter_reason::crashed_consumer: return "crashed_consumer";
        case dead_letter_reason::topic_mismatch: return "topic_mismatch";
        case dead_letter_reason::sensitive_data: return "sensitive_data";
    }
    return "invalid";
}

}  // namespace domain_events
