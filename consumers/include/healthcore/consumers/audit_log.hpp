#pragma once
/** @file
 * `audit-log-consumer`: every event it is subscribed to, one row each in `audit_log` (event id,
 * type, aggregate type, id and version, timestamp, source, correlation id, the data as JSON).
 */
#include <domain_events/ops/consumer_program.hpp>

namespace healthcore::consumers {

/** @brief The audit log: group `audit-log`, events `patient.*,appointment.*`, file `audit-log.db`. */
[[nodiscard]] domain_events::consumer_program audit_log_program();

}  // namespace healthcore::consumers
