#pragma once
/** @file
 * What a consumer writes to the dead-letter topic `<prefix>.dlq`: the original key and value,
 * the original headers, and these headers naming what went wrong and where the message was.
 * Whatever the original carried, the dead letter fits the topic's record limit: the value, the key
 * and the original headers are cut or left out, and say so, rather than the dead letter refused.
 */
#include <string_view>

namespace domain_events {

/** @brief Why a consumer dead-lettered a message (the value of the `dlq.reason` header). */
enum class dead_letter_reason {
    not_json,             ///< the value does not parse as JSON
    invalid_envelope,     ///< JSON, but a required envelope field is missing or ill-typed
    unsupported_version,  ///< `metadata.version` has a major version this build does not read
    too_large,            ///< the value is over `validation.max_payload_bytes`
    handler_failed,       ///< the handler threw on every attempt
    crashed_consumer,     ///< the process died `consumer_options::crash_limit` times in a row applying it
    sensitive_data,       ///< `data` holds a sensitive field (`validation.sensitive_fields`) under the refuse policy
    topic_mismatch,       ///< its type (or aggregate, per_aggregate) routes to another topic than the one it was in
};

/** @brief `not_json`, `invalid_envelope`, ...; "invalid" outside the enum. */
[[nodiscard]] std::string_view to_string(dead_letter_reason reason) noexcept;

/** @brief Header names on dead-lettered messages. */
namespace dlq_header {
inline constexpr std::string_view reason = "dlq.reason";            ///< `to_string(dead_letter_reason)`
inline constexpr std::string_view error = "dlq.error";              ///< the error text, naming the field at fault
inline constexpr std::string_view topic = "dlq.original.topic";     ///< where the message was read
inline constexpr std::string_view partition = "dlq.original.partition";
inline constexpr std::string_view offset = "dlq.original.offset";
inline constexpr std::string_view group = "dlq.consumer.group";     ///< the consumer group that gave up
inline constexpr std::string_view attempts = "dlq.attempts";        ///< handler attempts made (handler_failed)
/// Set when the value was cut to `consumer_options::dead_letter_max_bytes`: the original size.
inline constexpr std::string_view original_size = "dlq.original.size";
/// Set when the original key was cut (to 16 KiB, or to what the record had room for): its size.
inline constexpr std::string_view original_key_size = "dlq.original.key.size";
/// Set when original headers were left out for want of room in the record: how many.
inline constexpr std::string_view original_headers_dropped = "dlq.original.headers.dropped";
}  // namespace dlq_header

}  // namespace domain_events
