#pragma once
// Private: creates and migrates the outbox tables, and tells an outbox from another file.
#include <optional>
#include <string>

namespace domain_events {
class database;
}

namespace domain_events::detail {

/** Brings `db`'s file to `target_version` of the outbox schema in one transaction. */
void install_outbox_schema(database& db, int target_version);

/** The outbox schema version recorded in `db`, or nullopt when it has none. Reads only. */
[[nodiscard]] std::optional<int> installed_outbox_version(database& db);

/**
 * @brief Opens `path` read-only and checks that it holds an outbox this build can use, so that
 *        a command or a relay pointed at another application's database changes nothing in it.
 * @throws usage_error naming the file and what is missing (the file is left as it was).
 */
void require_outbox_database(const std::string& path);

}  // namespace domain_events::detail
