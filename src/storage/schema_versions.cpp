#include "storage/schema_versions.hpp"

#include <string>

#include "domain_events/storage/database.hpp"

namespace domain_events::detail {

int schema_version(database& db, std::string_view component) {
    db.execute("CREATE TABLE IF NOT EXISTS domain_events_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
    auto query = db.prepare("SELECT version FROM domain_events_schema WHERE component = ?");
    query->bind_all(std::string(component));
    const int version = query->step() ? static_cast<int>(query->column_int64(0)) : 0;
    return version;
}

void record_schema_version(database& db, std::string_view component, int version) {
    db.prepare("INSERT INTO domain_events_schema (component, version) VALUES (?, ?) "
               "ON CONFLICT (component) DO UPDATE SET version = excluded.version")
        ->bind_all(std::string(component), version)
        .run();
}

}  // namespace domain_events::detail
