#pragma once
/** @file
 * SIGTERM and SIGINT turned into a call, so a consumer or relay process stops gracefully.
 */
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace spdlog { class logger; }

namespace domain_events {

struct shutdown_signals_mask;  // the previous sigset_t, kept out of this header

/**
 * @brief Blocks SIGTERM and SIGINT in the constructing thread, so every thread started
 *        afterwards (librdkafka's included) inherits the mask, and takes them on a watcher
 *        thread that calls the callback and wakes `wait()`. Create it first in `main`, before
 *        any other thread:
 *
 *        de::shutdown_signals signals;
 *        de::consumer c(settings, options);
 *        const auto stop_on_signal = signals.on_signal([&] { c.stop(); });
 *        c.run();
 *
 *        Threads: construct and destroy it on the main thread; `on_signal`, `wait`, `received`
 *        and a registration's destruction from any thread. The callback runs on the watcher
 *        thread, one call at a time.
 */
class shutdown_signals {
public:
    /** @throws std::system_error when the thread cannot start. */
    shutdown_signals();
    /** @brief Stops the watcher (within 200 ms) and restores the signal mask. */
    ~shutdown_signals();

    shutdown_signals(const shutdown_signals&) = delete;
    shutdown_signals& operator=(const shutdown_signals&) = delete;

    /** @brief Clears the callback when it dies, waiting for a run of it in progress. */
    class registration {
    public:
        explicit registration(shutdown_signals& owner) noexcept : owner_(&owner) {}
        ~registration();
        registration(const registration&) = delete;
        registration& operator=(const registration&) = delete;

    private:
        shutdown_signals* owner_;
    };

    /**
     * @brief What runs (on the watcher thread) at each signal; runs at once if one came already.
     *        Keep the registration until what the callback touches is gone: declare it after
     *        the consumer, so it dies first and no signal reaches a destroyed consumer.
     */
    [[nodiscard]] registration on_signal(std::function<void()> callback);

    /** @brief Blocks until a signal is taken (at once if one was); returns it (SIGTERM or SIGINT). */
    int wait();

    /** @brief The last signal taken (SIGTERM or SIGINT), 0 before any. */
    [[nodiscard]] int received() const noexcept { return received_.load(); }

private:
    void watch();

    std::mutex mutex_;
    std::condition_variable taken_;
    std::function<void()> callback_;
    std::atomic<int> received_{0};
    std::atomic<bool> done_{false};
    std::unique_ptr<shutdown_signals_mask> previous_mask_;
    std::shared_ptr<spdlog::logger> log_;  // taken before the watcher starts, which then only uses it
    std::thread watcher_;
};

}  // namespace domain_events
