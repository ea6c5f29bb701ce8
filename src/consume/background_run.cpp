#include "consume/background_run.hpp"

#include <utility>

namespace domain_events::detail {

background_run::~background_run() {
    if (thread_.joinable()) thread_.join();
}

void background_run::start(std::function<void()> body) {
    thread_ = std::thread([this, body = std::move(body)] {
        std::exception_ptr failure;
        try {
            body();
        } catch (...) {
            failure = std::current_exception();
        }
        std::lock_guard lock(mutex_);
        failure_ = std::move(failure);
        done_ = true;
        ended_.notify_all();
    });
}

bool background_run::finish(std::chrono::milliseconds timeout) {
    if (!thread_.joinable()) return true;
    {
        std::unique_lock lock(mutex_);
        if (!ended_.wait_for(lock, timeout, [&] { return done_; })) return false;
    }
    thread_.join();
    if (auto failure = take_failure()) std::rethrow_exception(failure);
    return true;
}

std::exception_ptr background_run::take_failure() noexcept {
    std::lock_guard lock(mutex_);
    return std::exchange(failure_, nullptr);
}

}  // namespace domain_events::detail
