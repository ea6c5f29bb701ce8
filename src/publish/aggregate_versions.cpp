#include "publish/aggregate_versions.hpp"

#include <optional>

#include "domain_events/storage/database.hpp"
#include "domain_events/error.hpp"
#include "domain_events/event.hpp"

namespace domain_events::detail {
namespace {

std::optional<std::int64_t> last_version(database& db, const std::string& aggregate_type,
                                         const std::string& aggregate_id) {
    auto query = db.prepare(
        "SELECT version FROM domain_events_aggregate_versions WHERE aggregate_type = ? AND aggregate_id = ?");
    query->bind_all(aggregate_type, aggregate_id);
    std::optional<std::int64_t> last;
    if (query->step()) last = query->column_int64(0);
    return last;
}

}  // namespace

std::int64_t next_aggregate_version(database& db, const std::string& aggregate_type, const std::string& aggregate_id) {
    return last_version(db, aggregate_type, aggregate_id).value_or(0) + 1;
}

void claim_aggregate_version(database& db, const event& e) {
    // One statement on the usual path (a new aggregate, or the next version); the last version
    // is read only to explain a refusal.
    db.prepare("INSERT INTO domain_events_aggregate_versions (aggregate_type, aggregate_id, version) VALUES (?, ?, ?) "
               "ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = excluded.version "
               "WHERE version = excluded.version - 1")
        ->bind_all(e.aggregate_type, e.aggregate_id, e.aggregate_version)
        .run();
    if (db.changes() == 1) return;
    const auto last = last_version(db, e.aggregate_type, e.aggregate_id).value_or(0);
    throw validation_error("aggregate_version", std::to_string(e.aggregate_version) + " is not the next version of " +
                                                    e.aggregate_type + " '" + e.aggregate_id.substr(0, 100) +
                                                    "': its last published is " + std::to_string(last) +
                                                    ", so the next is " + std::to_string(last + 1));
}

}  // namespace domain_events::detail
