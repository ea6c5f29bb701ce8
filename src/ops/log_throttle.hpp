#pragma once
// At most one log line per interval for something a client can repeat at will (a refused admin
// request): the first is logged, the rest are counted and the count goes into the next line, so a
// hostile client cannot fill the log or the disk under it. Internal; thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <utility>

namespace domain_events::detail {

class log_throttle {
public:
    using clock = std::chrono::steady_clock;

    explicit log_throttle(std::chrono::milliseconds interval) noexcept : interval_(interval) {}

    /**
     * @brief Whether to log the occurrence at `now`: true for the first and then once per
     *        interval, with `unlogged` set to how many occurred unlogged since the last line.
     */
    bool admit(clock::time_point now, std::uint64_t& unlogged) noexcept {
        std::lock_guard lock(mutex_);
        if (logged_ && now - last_line_ < interval_) {
            ++unlogged_;
            return false;
        }
        logged_ = true;
        last_line_ = now;
        unlogged = std::exchange(unlogged_, 0);
        return true;
    }

private:
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    bool logged_ = false;
    clock::time_point last_line_{};
    std::uint64_t unlogged_ = 0;
};

}  // namespace domain_events::detail
