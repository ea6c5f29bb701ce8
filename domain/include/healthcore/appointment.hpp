#pragma once
/** @file
 * Appointments and their repository. Each transition is a custom event recorded through the
 * publisher in the same transaction as the row: `appointment.booked`, `appointment.cancelled`,
 * `appointment.completed`. Only a booked appointment can be cancelled or completed.
 *
 *   healthcore::appointment_repository appointments(db, publisher);
 *   auto a = appointments.book({.patient_id = p.id, .doctor = "Dr. Grey", .reason = "check-up",
 *                               .scheduled_at = healthcore::parse_time("scheduled_at", "2026-03-01T09:30:00Z")});
 *   appointments.cancel(a.id, "patient is travelling");   // appointment.cancelled, version 2
 */
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <domain_events/storage/database.hpp>
#include <domain_events/publish/publisher.hpp>

#include "healthcore/fields.hpp"

namespace healthcore {

enum class appointment_status { booked, cancelled, completed };

/** @brief `booked`, `cancelled`, `completed`. */
[[nodiscard]] std::string_view to_string(appointment_status status) noexcept;

/** @brief One appointment row. */
struct appointment {
    std::int64_t id = 0;
    std::int64_t patient_id = 0;
    std::string doctor;
    std::string reason;
    timestamp scheduled_at{};  ///< UTC
    appointment_status status = appointment_status::booked;
    std::string cancellation_reason;  ///< set when cancelled
    timestamp created_at{};
    timestamp updated_at{};
    std::int64_t version = 0;  ///< 1 after booking, +1 per transition: the events' aggregate_version
};

/** @brief What `book` needs. */
struct new_appointment {
    std::int64_t patient_id = 0;
    std::string doctor;
    std::string reason;
    timestamp scheduled_at{};
};

/** @brief The data of every appointment event: the appointment's state after the transition. */
[[nodiscard]] nlohmann::json event_data(const appointment& a);

/**
 * @brief Appointments in one SQLite connection. Not thread-safe (like its `database`); the
 *        publisher may be shared by repositories on other threads' connections.
 */
class appointment_repository {
public:
    appointment_repository(domain_events::database& db, domain_events::publisher& events) noexcept
        : db_(db), events_(events) {}

    /**
     * @brief Books an appointment (status `booked`, version 1) and records `appointment.booked`.
     * @throws validation_error (empty doctor or reason); not_found (field `patient_id`) when the
     *         patient does not exist. Nothing is written on any error.
     */
    appointment book(const new_appointment& input, const domain_events::publish_context& context = {});

    /**
     * @brief Cancels a booked appointment and records `appointment.cancelled` with the reason.
     * @throws validation_error (empty reason); not_found; conflict (field `status`) when it is
     *         already cancelled or completed.
     */
    appointment cancel(std::int64_t id, std::string reason, const domain_events::publish_context& context = {});

    /**
     * @brief Completes a booked appointment and records `appointment.completed`.
     * @throws not_found; conflict (field `status`) when it is cancelled or already completed.
     */
    appointment complete(std::int64_t id, const domain_events::publish_context& context = {});

    /** @brief The appointment, or nothing. */
    [[nodiscard]] std::optional<appointment> find(std::int64_t id);
    /** @brief The appointment. @throws not_found. */
    [[nodiscard]] appointment get(std::int64_t id);
    /** @brief The patient's appointments by scheduled time (at most `limit`). */
    [[nodiscard]] std::vector<appointment> list_for_patient(std::int64_t patient_id, std::size_t limit = 1000);

private:
    appointment transition(std::int64_t id, appointment_status to, std::string cancellation_reason,
                           const domain_events::publish_context& context);

    domain_events::database& db_;
    domain_events::publisher& events_;
};

}  // namespace healthcore
