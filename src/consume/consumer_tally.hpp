#pragma once
// What a consumer's run counts itself (the group member counts rebalances and commits): written
// on the run thread, read by counters() and status() from any thread. Internal.
#include <atomic>
#include <cstdint>

#include "domain_events/ops/latency_histogram.hpp"

namespace domain_events::detail {

struct consumer_tally {
    std::atomic<std::uint64_t> applied{0}, duplicates{0}, dead_lettered{0}, skipped{0}, handler_retries{0};
    latency_histogram handler_latency;  ///< per applied event: the handler alone
};

}  // namespace domain_events::detail
