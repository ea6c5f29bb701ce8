#include "domain_events/ops/latency_histogram.hpp"

#include <algorithm>

namespace domain_events {

void latency_histogram::record(std::chrono::microseconds latency) noexcept {
    const auto us = std::max<std::int64_t>(0, latency.count());
    const auto& bounds = latency_snapshot::bounds_us;
    const auto bucket = static_cast<std::size_t>(std::ranges::lower_bound(bounds, us) - bounds.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(us, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

latency_snapshot latency_histogram::snapshot() const noexcept {
    latency_snapshot s;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        s.counts[i] = counts_[i].load(std::memory_order_relaxed);
        s.count += s.counts[i];  // consistent with the buckets even while others record
    }
    s.sum_us = sum_us_.load(std::memory_order_relaxed);
    return s;
}

std::chrono::microseconds latency_snapshot::quantile(double q) const noexcept {
    if (count == 0) return std::chrono::microseconds::zero();
    const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count);
    double seen = 0;
    for (std::size_t i = 0; i < bounds_us.size(); ++i) {
        const auto in_bucket = static_cast<double>(counts[i]);
        if (in_bucket > 0 && seen + in_bucket >= rank) {
            const double lower = i == 0 ? 0.0 : static_cast<double>(bounds_us[i - 1]);
            const double upper = static_cast<double>(bounds_us[i]);
            const double fraction = (rank - seen) / in_bucket;
            return std::chrono::microseconds{static_cast<std::int64_t>(lower + fraction * (upper - lower))};
        }
        seen += in_bucket;
    }
    return std::chrono::microseconds{bounds_us.back()};
}

}  // namespace domain_events
