#pragma once
// Test-only: rows as an outbox of schema 1 to 4 held them (no trace context columns), for the
// upgrade tests that fill an old file before the library migrates it.
#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>
#include <domain_events/storage/outbox.hpp>

namespace domain_events::testing {

/** Appends `e` with the columns every schema before version 5 has, in `db`'s open transaction. */
inline void append_before_schema_5(database& db, const event& e) {
    db.prepare("INSERT INTO domain_events_outbox (event_id, event_type, aggregate_type, aggregate_id, "
               "aggregate_version, correlation_id, schema_version, payload, created_at_ms) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        ->bind_all(e.event_id, e.event_type, e.aggregate_type, e.aggregate_id, e.aggregate_version,
                  e.metadata.correlation_id, e.metadata.version, serialize(e), now_ms().time_since_epoch().count())
        .run();
}

}  // namespace domain_events::testing
