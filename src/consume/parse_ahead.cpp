#include "consume/parse_ahead.hpp"

#include "domain_events/error.hpp"

namespace domain_events::detail {

parse_ahead::parse_ahead(const json_bounds& bounds) : bounds_(bounds), thread_([this] { work(); }) {}

parse_ahead::~parse_ahead() {
    {
        std::lock_guard lock(mutex_);
        quit_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void parse_ahead::start(std::vector<item> burst) {
    if (busy_) throw usage_error("parse_ahead.start: a burst is in hand already; finish() it first");
    {
        std::lock_guard lock(mutex_);
        burst_ = std::move(burst);
        handed_ = true;
        parsed_ = false;
    }
    busy_ = true;
    changed_.notify_all();
}

std::vector<parse_ahead::item> parse_ahead::finish() {
    if (!busy_) return {};
    busy_ = false;
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return parsed_; });
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    return std::exchange(burst_, {});
}

void parse_ahead::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return handed_ || quit_; });
        if (handed_) {
            // The burst is this thread's until parsed_: the caller waits in finish() for it.
            handed_ = false;
            auto burst = std::move(burst_);
            lock.unlock();
            std::exception_ptr failed;
            try {
                for (auto& i : burst) i.checked = check_message(*i.message, bounds_);
            } catch (...) {
                failed = std::current_exception();  // out of memory: the consumer's thread rethrows it
            }
            lock.lock();
            burst_ = std::move(burst);
            failure_ = failed;
            parsed_ = true;
            changed_.notify_all();
            continue;
        }
        return;  // quit_, with nothing in hand
    }
}

}  // namespace domain_events::detail
