#pragma once
/** @file
 * The rules an event must pass before anything is written.
 */
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/bounded_json.hpp"
#include "domain_events/publish/envelope_format.hpp"
#include "domain_events/error.hpp"
#include "domain_events/event.hpp"

namespace domain_events {

/** @brief What to do with a field whose name is sensitive. */
enum class sensitive_field_policy {
    refuse,  ///< throw, naming the field's path
    redact,  ///< replace the value with `redacted_value` and go on
};

/** @brief Configurable limits; the defaults are in docs/publishing.md, "Validation, before anything is written". */
struct validation_rules {
    std::size_t max_payload_bytes = 1024 * 1024;  ///< size of the serialized envelope
    /// nesting of objects and arrays, the envelope being level 1 and `data` level 2 (bounded_json.hpp)
    std::size_t max_depth = default_max_json_depth;
    std::vector<std::string> sensitive_fields = {"password", "token", "secret", "ssn"};
    sensitive_field_policy on_sensitive = sensitive_field_policy::refuse;
};

/** @brief The value a redacted field gets. */
inline constexpr std::string_view redacted_value = "[REDACTED]";

/**
 * @brief Checks `resource.action`: `^[a-z0-9_]+(\.[a-z0-9_]+)+$`, e.g. `patient.created`.
 * @throws validation_error on field `event_type` naming the value and the rule.
 */
void validate_event_type(std::string_view type);

/**
 * @brief Checks `^[a-z0-9_]+$`, e.g. `patient` (it becomes a topic name under per_aggregate routing).
 * @throws validation_error on field `aggregate_type` naming the value and the rule.
 */
void validate_aggregate_type(std::string_view type);

/**
 * @brief True when `key` holds `sensitive_name` as a run of whole words, comparing both after
 *        camelCase is turned into snake_case, other separators into `_`, and all is lower-cased:
 *        `accessToken`, `user_password`, `HTTPToken` match; `tokenizer`, `secretary` do not.
 */
[[nodiscard]] bool is_sensitive_key(std::string_view key, std::string_view sensitive_name);

/** @brief The envelope's major `metadata.version` this build writes and reads. */
inline constexpr std::string_view supported_envelope_major = "1";

/**
 * @brief The rules every event meets whoever produced it, in this order: data nested no deeper
 *        than `max_depth`, event type, aggregate type, event id (a UUID), aggregate id
 *        (non-empty), aggregate version (>= 1), data an object, `metadata.version` of major
 *        `supported_envelope_major`. One function for `validate_event`, `envelope_problems`
 *        (`domain-events validate`) and every consumer, so that what one accepts the others do.
 * @throws validation_error whose `field()` names the culprit.
 */
void check_envelope_rules(const event& e, std::size_t max_depth);

/**
 * @brief Checks an event's W3C trace context strictly (`trace_context::parse`), as a publisher
 *        does: a malformed value given by the application is its mistake. (A consumer reads what
 *        arrives leniently, `trace_context::receive`: never a reason to dead-letter.)
 * @param m its `traceparent` and `tracestate` are put in their written form (version 00, no blanks).
 * @throws validation_error on `metadata.traceparent` or `metadata.tracestate`.
 */
void check_trace_context(event_metadata& m);

/**
 * @brief Checks an event against `rules`: `check_envelope_rules`, `check_trace_context`, then the
 *        sensitive fields of data, at any depth (refused or redacted per policy), and the size of
 *        the Kafka record it makes in `format` (`kafka_record_bytes`). A CloudEvents format also
 *        needs the aggregate version to fit a CloudEvents Integer (32 bits). Does not check the
 *        topic name (that depends on the config; see `validate_topic_name`).
 * @param e mutated only to redact sensitive values in `e.data` and to write its trace context in its written form.
 * @return the serialized envelope that passed, so the caller need not serialize it again.
 * @throws validation_error whose `field()` names the culprit, e.g. `data.credentials.password`
 *         or `data.items[2].token`; a sensitive value itself never appears in the message.
 */
std::string validate_event(event& e, const validation_rules& rules, envelope_format format = envelope_format::native);

/**
 * @brief A dry run of `parse_event` and `validate_event` that reports EVERY problem instead of
 *        stopping at the first: each field at fault is noted and checking goes on with the next.
 *        A sensitive field counts as a problem only under the `refuse` policy.
 * @return the problems in the order the checks run; empty when the envelope would be accepted.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::vector<validation_error> envelope_problems(std::string_view json_text, const validation_rules& rules);
/** @brief As above, for JSON already parsed. */
[[nodiscard]] std::vector<validation_error> parsed_envelope_problems(nlohmann::json envelope, const validation_rules& rules);

}  // namespace domain_events
