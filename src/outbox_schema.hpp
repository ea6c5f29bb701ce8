#pragma once
// Private: creates and migrates the outbox tables.
namespace domain_events {
class database;
}

namespace domain_events::detail {

/** Brings `db`'s file to `target_version` of the outbox schema in one transaction. */
void install_outbox_schema(database& db, int target_version);

}  // namespace domain_events::detail
