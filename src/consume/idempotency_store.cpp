#include "domain_events/consume/idempotency_store.hpp"

#include "domain_events/storage/database.hpp"
#include "domain_events/error.hpp"

#include <optional>

namespace domain_events {

idempotency_store::idempotency_store(database& db, std::string group) : db_(db), group_(std::move(group)) {
    if (group_.empty()) throw usage_error("idempotency_store: group is empty; give the consumer group id");
    // WITHOUT ROWID: the primary key is the lookup, so the record is stored once, in its index.
    // No index by age (earlier versions made one; dropped here): sweep() finds old records.
    db_.execute(
        "CREATE TABLE IF NOT EXISTS domain_events_consumed ("
        " group_id TEXT NOT NULL, event_id TEXT NOT NULL, consumed_at_ms INTEGER NOT NULL,"
        " PRIMARY KEY (group_id, event_id)) WITHOUT ROWID;"
        "DROP INDEX IF EXISTS domain_events_consumed_age;");
}

bool idempotency_store::record(std::string_view event_id, std::int64_t now_ms) {
    if (!db_.in_transaction()) {
        throw usage_error("idempotency_store.record: event " + std::string(event_id) +
                          " outside a transaction; record it in the transaction that applies it");
    }
    return db_.prepare("INSERT OR IGNORE INTO domain_events_consumed (group_id, event_id, consumed_at_ms) VALUES (?, ?, ?)")
               ->bind_all(group_, event_id, now_ms)
               .run() == 1;
}

bool idempotency_store::contains(std::string_view event_id) {
    return db_.prepare("SELECT 1 FROM domain_events_consumed WHERE group_id = ? AND event_id = ?")
        ->bind_all(group_, event_id)
        .step();
}

idempotency_store::sweep_step idempotency_store::sweep(std::int64_t cutoff_ms, std::size_t max_rows) {
    if (db_.in_transaction()) throw usage_error("idempotency_store.sweep: inside a transaction; sweep between events");
    if (max_rows == 0) throw usage_error("idempotency_store.sweep: max_rows=0; examine at least one record");
    std::optional<std::string> slice_end;  // the max_rows-th key after swept_to_; none: the slice runs to the end
    const auto deleted = db_.atomic([&] {
        slice_end = first_row(db_.prepare("SELECT event_id FROM domain_events_consumed WHERE group_id = ?1 AND "
                                           "event_id > ?2 ORDER BY event_id LIMIT 1 OFFSET ?3")
                                   ->bind_all(group_, swept_to_, static_cast<std::int64_t>(max_rows - 1)),
                              [](const statement& q) { return q.column_text(0); });
        // Two statements, so that each bound of the slice is a range on the primary key.
        if (!slice_end) {
            return static_cast<std::size_t>(
                db_.prepare("DELETE FROM domain_events_consumed WHERE group_id = ?1 AND event_id > ?2"
                            " AND consumed_at_ms < ?3")
                    ->bind_all(group_, swept_to_, cutoff_ms)
                    .run());
        }
        return static_cast<std::size_t>(
            db_.prepare("DELETE FROM domain_events_consumed WHERE group_id = ?1 AND event_id > ?2 AND event_id <= ?3"
                        " AND consumed_at_ms < ?4")
                ->bind_all(group_, swept_to_, *slice_end, cutoff_ms)
                .run());
    });
    swept_to_ = slice_end.value_or("");  // committed: the next step goes on from here
    return {deleted, !slice_end};
}

std::int64_t idempotency_store::size() {
    auto query = db_.prepare("SELECT count(*) FROM domain_events_consumed WHERE group_id = ?");
    query->bind_all(group_).step();
    const auto n = query->column_int64(0);
    return n;
}

}  // namespace domain_events
