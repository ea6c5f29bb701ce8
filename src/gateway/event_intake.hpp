#pragma once
// Reading a client's event: the request's JSON fields checked one by one (each refusal a
// validation_error naming the field), then the event type's rules (gateway_settings). Nothing here
// touches the database: the dry run (`/api/v1/events/validate`) is exactly this.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include <domain_events/config.hpp>
#include <domain_events/event.hpp>

#include "gateway_settings.hpp"

namespace domain_events::gateway {

/// Longest aggregate id, correlation id and causation id taken from a client.
inline constexpr std::size_t max_id_bytes = 256;

/** @brief An event that passed every check, ready to be written. */
struct incoming_event {
    event e;                       ///< aggregate_version still 0: the writer gives the next one
    bool id_from_client = false;   ///< the client chose `event_id`: a retry with it is recognised
    std::uint64_t fingerprint = 0; ///< of what the client sent, to tell a retry from a different event under its id (only with one)
};

/**
 * @brief Checks one event object against the gateway's settings.
 *
 * Fields: `event_type`, `aggregate_type`, `aggregate_id` (strings), `data` (an object), and the
 * optional `event_id` (a UUID), `correlation_id`, `causation_id` (visible ASCII); any other key
 * is refused. Thread-safe (reads its settings only).
 */
class event_intake {
public:
    /** @param settings read by reference: must outlive the intake. */
    event_intake(const gateway_settings& gateway, const config& settings) : gateway_(gateway), settings_(settings) {}

    /**
     * @brief The event `entry` describes, validated by its type's rules (sensitive values may be redacted).
     * @param prefix put before the field in errors (`events[3].` in a batch).
     * @throws validation_error naming the field at fault (with `prefix`).
     */
    [[nodiscard]] incoming_event read(const nlohmann::json& entry, std::string_view prefix = {}) const;

private:
    [[nodiscard]] incoming_event read_fields(const nlohmann::json& entry) const;

    const gateway_settings& gateway_;
    const config& settings_;
};

}  // namespace domain_events::gateway
