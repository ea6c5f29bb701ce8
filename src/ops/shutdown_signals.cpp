#include "domain_events/ops/shutdown_signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "domain_events/logging.hpp"

namespace domain_events {

struct shutdown_signals_mask {
    sigset_t previous;
};

namespace {

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

}  // namespace

shutdown_signals::shutdown_signals()
    : previous_mask_(std::make_unique<shutdown_signals_mask>()), log_(library_logger()) {
    const auto set = stop_signals();
    // Blocked here, then inherited by every thread created afterwards: the signals stay pending
    // until the watcher takes them, so none can kill the process by default action.
    pthread_sigmask(SIG_BLOCK, &set, &previous_mask_->previous);
    watcher_ = std::thread([this] { watch(); });
}

shutdown_signals::~shutdown_signals() {
    done_.store(true);
    watcher_.join();  // the watcher checks `done_` at least every 200 ms
    pthread_sigmask(SIG_SETMASK, &previous_mask_->previous, nullptr);
}

shutdown_signals::registration shutdown_signals::on_signal(std::function<void()> callback) {
    std::lock_guard lock(mutex_);
    callback_ = std::move(callback);
    if (received_.load() != 0 && callback_) callback_();
    return registration(*this);
}

shutdown_signals::registration::~registration() {
    // The watcher runs the callback under this lock: once we hold it, no run is in progress.
    std::lock_guard lock(owner_->mutex_);
    owner_->callback_ = nullptr;
}

int shutdown_signals::wait() {
    std::unique_lock lock(mutex_);
    taken_.wait(lock, [&] { return received_.load() != 0; });
    return received_.load();
}

void shutdown_signals::watch() {
    const auto set = stop_signals();
    const timespec period{0, 200'000'000};
    while (!done_.load()) {
        const int signo = sigtimedwait(&set, nullptr, &period);
        if (signo < 0) continue;  // EAGAIN: the period passed; EINTR: another signal
        log_->info("received {}; stopping gracefully", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        std::lock_guard lock(mutex_);
        received_.store(signo);
        taken_.notify_all();
        if (callback_) callback_();
    }
}

}  // namespace domain_events
