#pragma once
// Writes synthetic events into an outbox file, the way an application would, for relay tests.
#include <cstddef>
#include <string>
#include <vector>

namespace domain_events::testing {

struct fill_plan {
    std::size_t events = 100;
    std::size_t aggregates = 10;  ///< events go round-robin to aggregates "agg-0".."agg-<n-1>"
    /// types cycle per aggregate: the k-th event of an aggregate has type `types[k % types.size()]`
    std::vector<std::string> types = {"patient.created", "patient.updated"};
    std::string aggregate_type = "patient";
    std::size_t events_per_transaction = 500;
    std::size_t payload_bytes = 0;  ///< extra filler in `data`, to make large messages
};

/** Appends `plan.events` events to the outbox at `db_path` (schema installed if needed); returns their positions. */
std::vector<std::int64_t> fill_outbox(const std::string& db_path, const fill_plan& plan);

}  // namespace domain_events::testing
