#pragma once
// A consumer's run() on a thread of its own (consumer::start): the thread, whether it ended, and
// what it threw, kept for the one who stops it. Internal.
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace domain_events::detail {

class background_run {
public:
    background_run() = default;
    /** @brief Joins the thread: whoever owns it has asked the body to return first. */
    ~background_run();
    background_run(const background_run&) = delete;
    background_run& operator=(const background_run&) = delete;

    /** @brief Runs `body` on a new thread; what it throws is kept. Only once per object. */
    void start(std::function<void()> body);

    [[nodiscard]] bool started() const noexcept { return thread_.joinable(); }

    /**
     * @brief Waits up to `timeout` for the body to return, then joins the thread.
     * @return false when it had not returned in time (the thread runs on; ask again).
     * @throws what the body threw, once.
     */
    bool finish(std::chrono::milliseconds timeout);

private:
    /** @brief The body's exception, handed over once (null when none or already taken). */
    [[nodiscard]] std::exception_ptr take_failure() noexcept;

    std::mutex mutex_;
    std::condition_variable ended_;
    bool done_ = false;
    std::exception_ptr failure_;
    std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace domain_events::detail
