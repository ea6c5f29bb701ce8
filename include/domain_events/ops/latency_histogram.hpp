#pragma once
/** @file
 * A fixed-bucket latency histogram, cheap enough to record on every event from any thread and
 * shaped like a Prometheus histogram (cumulative buckets, sum, count) for the metrics endpoint.
 */
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace domain_events {

/** @brief What a histogram held at one moment; plain data, safe to copy around. */
struct latency_snapshot {
    /// Upper bounds in microseconds; the last bucket (index `bounds.size()`) is +Inf. The
    /// buckets under 250 us are for handlers, which take microseconds.
    static constexpr std::array<std::int64_t, 20> bounds_us = {
        10, 25, 50, 100, 250, 500, 1'000, 2'000, 3'000, 5'000, 10'000, 25'000, 50'000, 100'000,
        250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
    std::array<std::uint64_t, bounds_us.size() + 1> counts{};  ///< per bucket, not cumulative
    std::uint64_t count = 0;
    std::int64_t sum_us = 0;

    /**
     * @brief Estimates the `q`-quantile (0..1) by linear interpolation inside its bucket;
     *        zero when empty; the largest finite bound when it falls in +Inf.
     */
    [[nodiscard]] std::chrono::microseconds quantile(double q) const noexcept;
};

/** @brief Records durations lock-free; `snapshot()` may run concurrently with `record()`. */
class latency_histogram {
public:
    void record(std::chrono::microseconds latency) noexcept;
    [[nodiscard]] latency_snapshot snapshot() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, latency_snapshot::bounds_us.size() + 1> counts_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::int64_t> sum_us_{0};
};

}  // namespace domain_events
