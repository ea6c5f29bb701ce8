#pragma once
/** @file
 * The rules an event must pass before anything is written.
 */
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/event.hpp"

namespace domain_events {

/** @brief What to do with a field whose name is sensitive. */
enum class sensitive_field_policy { refuse, redact };

/** @brief Configurable limits; the defaults are what DESIGN.md promises. */
struct validation_rules {
    std::size_t max_payload_bytes = 1024 * 1024;  ///< size of the serialized envelope
    std::vector<std::string> sensitive_fields = {"password", "token", "secret", "ssn"};
    sensitive_field_policy on_sensitive = sensitive_field_policy::refuse;
};

/** @brief The value a redacted field gets. */
inline constexpr std::string_view redacted_value = "[REDACTED]";

/** @brief `resource.action`: `^[a-z0-9_]+(\.[a-z0-9_]+)+$`. @throws validation_error naming the value. */
void validate_event_type(std::string_view type);

/** @brief `^[a-z0-9_]+$` (it may become a topic name). @throws validation_error naming the value. */
void validate_aggregate_type(std::string_view type);

/**
 * @brief True when `key` contains `sensitive_name` as a run of whole words, after camelCase is
 *        turned into snake_case and everything lower-cased (`accessToken` matches `token`,
 *        `tokenizer` does not).
 */
[[nodiscard]] bool is_sensitive_key(std::string_view key, std::string_view sensitive_name);

/**
 * @brief Checks an event against `rules`: type, aggregate fields, sensitive fields (refused, or
 *        redacted in `e.data` per policy) and the serialized size.
 * @return the serialized envelope that passed, so the caller need not serialize it again.
 * @throws validation_error whose `field()` names the culprit, e.g. `data.credentials.password`.
 */
std::string validate_event(event& e, const validation_rules& rules);

}  // namespace domain_events
