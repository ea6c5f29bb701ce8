#include "domain_events/idempotency_store.hpp"

#include "domain_events/database.hpp"
#include "domain_events/error.hpp"

namespace domain_events {

idempotency_store::idempotency_store(database& db, std::string group) : db_(db), group_(std::move(group)) {
    if (group_.empty()) throw usage_error("idempotency_store: group is empty; give the consumer group id");
    // WITHOUT ROWID: the primary key is the lookup, so the record is stored once, in its index.
    db_.execute(
        "CREATE TABLE IF NOT EXISTS domain_events_consumed ("
        " group_id TEXT NOT NULL, event_id TEXT NOT NULL, consumed_at_ms INTEGER NOT NULL,"
        " PRIMARY KEY (group_id, event_id)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS domain_events_consumed_age ON domain_events_consumed (group_id, consumed_at_ms);");
}

bool idempotency_store::record(std::string_view event_id, std::int64_t now_ms) {
    if (!db_.in_transaction()) {
        throw usage_error("idempotency_store.record: event " + std::string(event_id) +
                          " outside a transaction; record it in the transaction that applies it");
    }
    return db_.prepare("INSERT OR IGNORE INTO domain_events_consumed (group_id, event_id, consumed_at_ms) VALUES (?, ?, ?)")
               .bind_all(group_, event_id, now_ms)
               .run() == 1;
}

bool idempotency_store::contains(std::string_view event_id) {
    auto& query = db_.prepare("SELECT 1 FROM domain_events_consumed WHERE group_id = ? AND event_id = ?");
    const bool found = query.bind_all(group_, event_id).step();
    query.reset();
    return found;
}

std::size_t idempotency_store::prune_before(std::int64_t cutoff_ms, std::size_t max_rows) {
    if (db_.in_transaction()) {
        throw usage_error("idempotency_store.prune_before: inside a transaction; prune between events");
    }
    return db_.atomic([&] {
        return static_cast<std::size_t>(
            db_.prepare("DELETE FROM domain_events_consumed WHERE group_id = ?1 AND event_id IN ("
                        " SELECT event_id FROM domain_events_consumed WHERE group_id = ?1 AND consumed_at_ms < ?2"
                        " LIMIT ?3)")
                .bind_all(group_, cutoff_ms, static_cast<std::int64_t>(max_rows))
                .run());
    });
}

std::int64_t idempotency_store::size() {
    auto& query = db_.prepare("SELECT count(*) FROM domain_events_consumed WHERE group_id = ?");
    query.bind_all(group_).step();
    const auto n = query.column_int64(0);
    query.reset();
    return n;
}

}  // namespace domain_events
