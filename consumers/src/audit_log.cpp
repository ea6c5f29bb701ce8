#include "healthcore/consumers/audit_log.hpp"

#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>

#include "rows.hpp"

namespace healthcore::consumers {

namespace de = domain_events;

de::consumer_program audit_log_program() {
    auto program = detail::program_with_schema("audit-log-consumer",
                                               "Every event into the audit_log table, exactly once.",
                                               "audit-log", {"patient.*", "appointment.*"}, R"sql(
            CREATE TABLE IF NOT EXISTS audit_log (
                event_id TEXT PRIMARY KEY,
                event_type TEXT NOT NULL,
                aggregate_type TEXT NOT NULL,
                aggregate_id TEXT NOT NULL,
                aggregate_version INTEGER NOT NULL,
                occurred_at TEXT NOT NULL,
                source TEXT NOT NULL,
                correlation_id TEXT,
                payload TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS audit_log_by_aggregate ON audit_log (aggregate_type, aggregate_id, aggregate_version);
        )sql");
    // A plain INSERT: the idempotency store keeps redeliveries out, and if one ever slipped past
    // it the primary key would refuse it (the handler fails, the event is dead-lettered) rather
    // than record it twice.
    program.fallback = [](const de::event& e, de::database& db) {
        db.prepare("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            ->bind_all(e.event_id, e.event_type, e.aggregate_type, e.aggregate_id, e.aggregate_version,
                      de::format_timestamp(e.timestamp), e.metadata.source, e.metadata.correlation_id, e.data.dump())
            .run();
        return std::string("audit row recorded");
    };
    program.describe = [](de::database& db) {
        return detail::counts_line(db, {{"SELECT count(*) FROM audit_log", "events in audit_log"}});
    };
    return program;
}

}  // namespace healthcore::consumers
