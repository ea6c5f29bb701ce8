#include <string>

#include <domain_events/error.hpp>

#include "healthcore/appointment.hpp"
#include "healthcore/errors.hpp"
#include "rows.hpp"

namespace healthcore {
namespace {

namespace de = domain_events;
using detail::to_ms;

constexpr const char* select_appointment =
    "SELECT id, patient_id, doctor, reason, scheduled_at_ms, status, cancellation_reason, created_at_ms, "
    "updated_at_ms, version FROM appointment ";

appointment_status status_from(std::string_view text) {
    for (const auto s : {appointment_status::booked, appointment_status::cancelled, appointment_status::completed}) {
        if (to_string(s) == text) return s;
    }
    // The table's CHECK constraint makes this unreachable unless the file was edited by hand.
    throw de::validation_error("status", "'" + std::string(text) + "' is not an appointment status");
}

appointment read_appointment(const de::statement& q) {
    return appointment{.id = q.column_int64(0),
                       .patient_id = q.column_int64(1),
                       .doctor = q.column_text(2),
                       .reason = q.column_text(3),
                       .scheduled_at = detail::time_column(q, 4),
                       .status = status_from(q.column_text_view(5)),
                       .cancellation_reason = q.column_text(6),
                       .created_at = detail::time_column(q, 7),
                       .updated_at = detail::time_column(q, 8),
                       .version = q.column_int64(9)};
}

constexpr std::size_t max_reason_length = 500;

}  // namespace

std::string_view to_string(appointment_status status) noexcept {
    switch (status) {
        case appointment_status::booked: return "booked";
        case appointment_status::cancelled: return "cancelled";
        case appointment_status::completed: return "completed";
    }
    return "unknown";
}

nlohmann::json event_data(const appointment& a) {
    nlohmann::json data{{"appointment_id", a.id},
                        {"patient_id", a.patient_id},
                        {"doctor", a.doctor},
                        {"reason", a.reason},
                        {"scheduled_at", format_time(a.scheduled_at)},
                        {"status", to_string(a.status)}};
    if (a.status == appointment_status::cancelled) data["cancellation_reason"] = a.cancellation_reason;
    return data;
}

appointment appointment_repository::book(const new_appointment& input, const de::publish_context& context) {
    const auto at = now();
    appointment a{.id = 0,
                  .patient_id = input.patient_id,
                  .doctor = require_text("doctor", input.doctor),
                  .reason = require_text("reason", input.reason, max_reason_length),
                  .scheduled_at = input.scheduled_at,
                  .status = appointment_status::booked,
                  .cancellation_reason = {},
                  .created_at = at,
                  .updated_at = at,
                  .version = 1};
    return db_.atomic([&] {
        const auto patient_rows = detail::collect_rows(db_.prepare("SELECT 1 FROM patient WHERE id = ?")->bind_all(a.patient_id),
                                                  [](const de::statement&) { return true; });
        if (patient_rows.empty()) throw not_found("patient", a.patient_id, "patient_id");
        db_.prepare("INSERT INTO appointment (patient_id, doctor, reason, scheduled_at_ms, status, created_at_ms, "
                    "updated_at_ms, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            ->bind_all(a.patient_id, a.doctor, a.reason, to_ms(a.scheduled_at), to_string(a.status), to_ms(a.created_at),
                      to_ms(a.updated_at), a.version)
            .run();
        a.id = db_.last_insert_rowid();
        events_.publish(db_, "appointment.booked", "appointment", std::to_string(a.id), a.version, event_data(a),
                        context);
        return a;
    });
}

appointment appointment_repository::cancel(std::int64_t id, std::string reason, const de::publish_context& context) {
    return transition(id, appointment_status::cancelled, require_text("reason", std::move(reason), max_reason_length),
                      context);
}

appointment appointment_repository::complete(std::int64_t id, const de::publish_context& context) {
    return transition(id, appointment_status::completed, {}, context);
}

appointment appointment_repository::transition(std::int64_t id, appointment_status to, std::string cancellation_reason,
                                               const de::publish_context& context) {
    return db_.atomic([&] {
        appointment a = get(id);  // inside the transaction: the write lock is held from here on
        if (a.status != appointment_status::booked)
            throw conflict("status", "appointment " + std::to_string(id) + " is " + std::string(to_string(a.status)) +
                                         ": only a booked appointment can be " + std::string(to_string(to)));
        a.status = to;
        a.cancellation_reason = std::move(cancellation_reason);
        a.version += 1;
        a.updated_at = now();
        db_.prepare("UPDATE appointment SET status = ?, cancellation_reason = ?, updated_at_ms = ?, version = ? "
                    "WHERE id = ?")
            ->bind_all(to_string(a.status), a.cancellation_reason, to_ms(a.updated_at), a.version, id)
            .run();
        events_.publish(db_, "appointment." + std::string(to_string(to)), "appointment", std::to_string(id), a.version,
                        event_data(a), context);
        return a;
    });
}

std::optional<appointment> appointment_repository::find(std::int64_t id) {
    return detail::first_row(db_.prepare(std::string(select_appointment) + "WHERE id = ?")->bind_all(id),
                            read_appointment);
}

appointment appointment_repository::get(std::int64_t id) {
    return detail::found(find(id), "appointment", id);
}

std::vector<appointment> appointment_repository::list_for_patient(std::int64_t patient_id, std::size_t limit) {
    return detail::collect_rows(
        db_.prepare(std::string(select_appointment) + "WHERE patient_id = ? ORDER BY scheduled_at_ms, id LIMIT ?")
            ->bind_all(patient_id, limit),
        read_appointment);
}

}  // namespace healthcore
