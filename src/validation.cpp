#include "domain_events/validation.hpp"

#include <cctype>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

bool is_word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// `[a-z0-9_]+` segments separated by single dots; `min_segments` of them at least.
bool is_dotted_name(std::string_view text, std::size_t min_segments) {
    std::size_t segments = 0;
    std::size_t length = 0;
    for (const char c : text) {
        if (c == '.') {
            if (length == 0) return false;
            ++segments;
            length = 0;
        } else if (is_word_char(c)) {
            ++length;
        } else {
            return false;
        }
    }
    if (length == 0) return false;
    return segments + 1 >= min_segments;
}

// "accessToken" -> "_access_token_", "user-password" -> "_user_password_".
std::string word_form(std::string_view key) {
    std::string out = "_";
    for (std::size_t i = 0; i < key.size(); ++i) {
        const auto c = static_cast<unsigned char>(key[i]);
        if (std::isupper(c) && i > 0 && std::islower(static_cast<unsigned char>(key[i - 1]))) out += '_';
        out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
    }
    return out + "_";
}

void check_sensitive(nlohmann::json& value, const std::string& path, const validation_rules& rules) {
    if (value.is_object()) {
        for (auto& [key, child] : value.items()) {
            const std::string child_path = path + "." + key;
            for (const auto& name : rules.sensitive_fields) {
                if (!is_sensitive_key(key, name)) continue;
                if (rules.on_sensitive == sensitive_field_policy::refuse) {
                    throw validation_error(child_path, "is a sensitive field ('" + name +
                                                           "') and must not be published; leave it out or redact it");
                }
                child = std::string(redacted_value);
                break;
            }
            check_sensitive(child, child_path, rules);
        }
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
            check_sensitive(value[i], path + "[" + std::to_string(i) + "]", rules);
        }
    }
}

}  // namespace

void validate_event_type(std::string_view type) {
    if (!is_dotted_name(type, 2)) {
        throw validation_error("event_type", "'" + std::string(type) +
                                                 "' must be resource.action: lower-case letters, digits and '_' "
                                                 "in dot-separated parts, e.g. patient.created");
    }
}

void validate_aggregate_type(std::string_view type) {
    if (!is_dotted_name(type, 1) || type.find('.') != std::string_view::npos) {
        throw validation_error("aggregate_type", "'" + std::string(type) +
                                                     "' must be lower-case letters, digits and '_', e.g. patient");
    }
}

bool is_sensitive_key(std::string_view key, std::string_view sensitive_name) {
    if (sensitive_name.empty()) return false;
    return word_form(key).find(word_form(sensitive_name)) != std::string::npos;
}

std::string validate_event(event& e, const validation_rules& rules) {
    validate_event_type(e.event_type);
    validate_aggregate_type(e.aggregate_type);
    if (!is_uuid(e.event_id)) throw validation_error("event_id", "'" + e.event_id + "' is not a UUID");
    if (e.aggregate_id.empty()) throw validation_error("aggregate_id", "must not be empty");
    if (e.aggregate_version < 1) {
        throw validation_error("aggregate_version",
                               std::to_string(e.aggregate_version) + " must be >= 1 (the row's version after the write)");
    }
    if (!e.data.is_object()) throw validation_error("data", "must be a JSON object");
    check_sensitive(e.data, "data", rules);
    auto serialized = serialize(e);
    if (serialized.size() > rules.max_payload_bytes) {
        throw validation_error("data", "the envelope is " + std::to_string(serialized.size()) +
                                           " bytes, over the limit of " + std::to_string(rules.max_payload_bytes) +
                                           " bytes");
    }
    return serialized;
}

}  // namespace domain_events
