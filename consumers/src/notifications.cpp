#include "healthcore/consumers/notifications.hpp"

#include <chrono>

#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>

#include "rows.hpp"

namespace healthcore::consumers {

namespace de = domain_events;

namespace {

void record(de::database& db, const de::event& e, const char* kind, const std::string& due_at,
            const std::string& message, const char* status) {
    db.prepare("INSERT INTO notification (event_id, appointment_id, kind, due_at, message, status) "
               "VALUES (?, ?, ?, ?, ?, ?)")
        ->bind_all(e.event_id, detail::numeric_id(e), kind, due_at, message, status)
        .run();
}

std::string on_booked(const de::event& e, de::database& db) {
    const auto scheduled_at = detail::text_field(e, "scheduled_at");
    const auto due = de::format_timestamp(de::parse_timestamp(scheduled_at, "data.scheduled_at") - std::chrono::hours(24));
    const bool cancelled = detail::int_value(db.prepare("SELECT 1 FROM notification WHERE appointment_id = ? AND "
                                                        "kind = 'cancellation'")
                                                 ->bind_all(detail::numeric_id(e)))
                               .has_value();
    record(db, e, "reminder", due,
           "Reminder: appointment with " + detail::text_field(e, "doctor") + " at " + scheduled_at,
           cancelled ? "withdrawn" : "scheduled");
    return "reminder scheduled for " + due + (cancelled ? " (withdrawn: the cancellation came first)" : "");
}

std::string on_cancelled(const de::event& e, de::database& db) {
    const auto scheduled_at = detail::text_field(e, "scheduled_at");
    const auto reason = e.data.value("cancellation_reason", std::string{});
    record(db, e, "cancellation", de::format_timestamp(e.timestamp),
           "Your appointment at " + scheduled_at + " was cancelled" + (reason.empty() ? "" : ": " + reason), "sent");
    const int withdrawn = db.prepare("UPDATE notification SET status = 'withdrawn' WHERE appointment_id = ? AND "
                                     "kind = 'reminder' AND status = 'scheduled'")
                              ->bind_all(detail::numeric_id(e))
                              .run();
    return "cancellation notice sent" + std::string(withdrawn > 0 ? ", reminder withdrawn" : "");
}

}  // namespace

de::consumer_program notifications_program() {
    auto program = detail::program_with_schema("notification-consumer",
                                               "Appointment reminders and cancellation notices, never two for one event.",
                                               "notifications", {"appointment.booked", "appointment.cancelled"}, R"sql(
            CREATE TABLE IF NOT EXISTS notification (
                id INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                appointment_id INTEGER NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('reminder', 'cancellation')),
                due_at TEXT NOT NULL,
                message TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('scheduled', 'withdrawn', 'sent')));
            CREATE INDEX IF NOT EXISTS notification_by_appointment ON notification (appointment_id, kind);
        )sql");
    program.handlers = {{"appointment.booked", on_booked}, {"appointment.cancelled", on_cancelled}};
    program.describe = [](de::database& db) {
        return detail::counts_line(
            db, {{"SELECT count(*) FROM notification WHERE kind = 'reminder' AND status = 'scheduled'", "reminders scheduled"},
                 {"SELECT count(*) FROM notification WHERE kind = 'reminder' AND status = 'withdrawn'", "withdrawn"},
                 {"SELECT count(*) FROM notification WHERE kind = 'cancellation'", "cancellation notices"}});
    };
    return program;
}

}  // namespace healthcore::consumers
