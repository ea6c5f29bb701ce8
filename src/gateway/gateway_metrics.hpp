#pragma once
// What the gateway counts for `/metrics`: requests by route and status, their latency, events
// accepted and refused by type. Event types a client may invent (unknown ones, when allowed, or
// refused ones) are counted under `other`, so no client can grow the page without bound.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <domain_events/ops/latency_histogram.hpp>

#include "gateway_settings.hpp"

namespace domain_events::gateway {

/** @brief A snapshot of what the gateway served, besides the backlog and commit counters. */
struct gateway_counts {
    std::map<std::pair<std::string, int>, std::uint64_t> requests;  ///< by (route, status)
    std::map<std::string, std::uint64_t> accepted;                  ///< events by type (or `other`)
    std::map<std::string, std::uint64_t> duplicates;                ///< retries recognised, by type
    std::map<std::string, std::uint64_t> refused;                   ///< events refused, by type
    latency_snapshot latency;
};

/** @brief Thread-safe counters. */
class gateway_metrics {
public:
    explicit gateway_metrics(const gateway_settings& settings) : settings_(settings) {}

    void request(std::string_view route, int status, std::chrono::microseconds took);
    void accepted(std::string_view event_type, std::uint64_t n = 1);
    void duplicate(std::string_view event_type);
    void refused(std::string_view event_type);

    [[nodiscard]] gateway_counts snapshot() const;

private:
    [[nodiscard]] std::string label_of(std::string_view event_type) const;

    const gateway_settings& settings_;
    mutable std::mutex mutex_;
    gateway_counts counts_;
    latency_histogram latency_;
};

/**
 * @brief The metrics page: the counts, plus the backlog, free disk, back-pressure state and the
 *        group commit's transactions.
 */
[[nodiscard]] std::string metrics_page(const gateway_counts& counts, std::int64_t backlog, std::uint64_t free_disk_bytes,
                                       bool refusing_writes, std::uint64_t transactions, std::uint64_t committed);

}  // namespace domain_events::gateway
