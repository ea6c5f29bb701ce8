#include "healthcore/clinic.hpp"

#include <algorithm>

namespace healthcore {

void configure(domain_events::config& settings) {
    if (!settings.topic_prefix) settings.topic_prefix = topic_prefix;  // KAFKA_TOPIC_PREFIX still wins
    // Each repository reads and bumps its row's version column inside the write's transaction,
    // under SQLite's write lock: that already orders an aggregate's events, so the library's own
    // record of versions would be a second write per save for the same guarantee.
    settings.versions_kept_by_application.insert({"patient", "appointment"});
    auto& names = settings.validation.sensitive_fields;
    for (const auto name : sensitive_fields) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
    }
}

void install_schema(domain_events::database& db) {
    // The version column is the events' aggregate_version; the foreign key is the database's own
    // guard behind the repositories' checks (patients with appointments are never deleted).
    // AUTOINCREMENT: a deleted patient's id is never given again, or its events' versions would
    // start over at 1 under an aggregate id consumers already saw deleted.
    db.execute(R"sql(
        CREATE TABLE IF NOT EXISTS patient (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            phone TEXT NOT NULL,
            date_of_birth TEXT NOT NULL,
            national_id TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS appointment (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patient(id) ON DELETE RESTRICT,
            doctor TEXT NOT NULL,
            reason TEXT NOT NULL,
            scheduled_at_ms INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed')),
            cancellation_reason TEXT NOT NULL DEFAULT '',
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            version INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS appointment_by_patient ON appointment (patient_id, scheduled_at_ms);
    )sql");
}

}  // namespace healthcore
