#pragma once
/** @file
 * How the relay writes an event into a Kafka record: our own envelope, or a CloudEvent in one of
 * the two content modes of the CloudEvents 1.0 Kafka protocol binding (docs/interop.md).
 * Consumers read all three whatever the setting.
 */
#include <optional>
#include <string_view>

namespace domain_events {

/** @brief The record format the relay produces (`DOMAIN_EVENTS_ENVELOPE_FORMAT`). */
enum class envelope_format {
    native,                  ///< value: the envelope JSON; headers event_id, event_type, ... (the default)
    cloudevents_binary,      ///< value: `data` alone; every attribute a `ce_` header
    cloudevents_structured,  ///< value: the CloudEvent as JSON (`application/cloudevents+json`)
};

/** @brief Reads `native`, `cloudevents_binary` or `cloudevents_structured` (exact spelling); nullopt otherwise. */
[[nodiscard]] std::optional<envelope_format> parse_envelope_format(std::string_view text) noexcept;

/** @brief The name `parse_envelope_format` reads back; "invalid" for a value outside the enum. */
[[nodiscard]] std::string_view to_string(envelope_format format) noexcept;

}  // namespace domain_events
