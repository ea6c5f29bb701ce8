#pragma once
// Exponential backoff with jitter for the relay's retries. Internal.
#include <algorithm>
#include <chrono>
#include <random>

namespace domain_events::detail {

class backoff {
public:
    backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
        : initial_(std::max(initial, std::chrono::milliseconds{1})), max_(std::max(max, initial_)),
          random_(std::random_device{}()) {}

    /** @brief The next pause: initial * 2^failures capped at max, then a random part of [half, all]. */
    std::chrono::milliseconds next() {
        const auto doublings = std::min(failures_++, 30);
        const auto full = std::min<std::chrono::milliseconds::rep>(max_.count(), initial_.count() << doublings);
        std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(full / 2, full);
        return std::chrono::milliseconds{pick(random_)};
    }

    void reset() noexcept { failures_ = 0; }
    [[nodiscard]] int failures() const noexcept { return failures_; }

private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    std::mt19937_64 random_;
    int failures_ = 0;
};

}  // namespace domain_events::detail
