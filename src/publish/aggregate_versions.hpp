#pragma once
// The last version published of each aggregate (`domain_events_aggregate_versions`, in the
// outbox's file), kept by the publisher in the transaction of each event. Internal.
#include <cstdint>
#include <string>

namespace domain_events {
class database;
struct event;
}

namespace domain_events::detail {

/** @brief The version the aggregate's next event takes: the last published + 1, or 1. */
[[nodiscard]] std::int64_t next_aggregate_version(database& db, const std::string& aggregate_type,
                                                  const std::string& aggregate_id);

/**
 * @brief Records `e.aggregate_version` as its aggregate's last.
 * @throws validation_error on field `aggregate_version`, naming both versions, when the
 *         aggregate has a last version and this one is not the next (an aggregate the table has
 *         not seen yet accepts any: its events may predate the table).
 */
void claim_aggregate_version(database& db, const event& e);

}  // namespace domain_events::detail
