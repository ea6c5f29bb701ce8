#pragma once
// The versions of the schemas kept in one SQLite file (`domain_events_schema`: the outbox's,
// the consumer handlers'), one row per component. Internal.
#include <string_view>

namespace domain_events {
class database;
}

namespace domain_events::detail {

/** @brief The component's version in `db`, creating the table if needed; 0 when it has none. */
[[nodiscard]] int schema_version(database& db, std::string_view component);

/** @brief Records `version` as the component's. */
void record_schema_version(database& db, std::string_view component, int version);

}  // namespace domain_events::detail
