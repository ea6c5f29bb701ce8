#pragma once
// A consumer's stop(): asked from any thread, seen by the run thread between events and during
// its pauses (a retry's backoff, a dead letter's, a wait for SQLite's lock). Internal.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace domain_events::detail {

class stop_request {
public:
    /**
     * @brief Asks the run to end and wakes a pause. Safe from any thread. Notified under the
     *        lock, so that `settle` (before the owner is destroyed) waits out a call in progress.
     */
    void request() noexcept {
        std::lock_guard lock(mutex_);
        requested_.store(true);
        wake_.notify_all();
    }

    [[nodiscard]] bool requested() const noexcept { return requested_.load(); }

    /** @brief Sleeps `pause` unless a stop comes first. @return true when stopped. */
    bool wait_for(std::chrono::milliseconds pause) {
        std::unique_lock lock(mutex_);
        return wake_.wait_for(lock, pause, [&] { return requested_.load(); });
    }

    /** @brief Waits until a `request` on another thread has left its critical section. */
    void settle() noexcept { std::lock_guard lock(mutex_); }

private:
    std::atomic<bool> requested_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

}  // namespace domain_events::detail
