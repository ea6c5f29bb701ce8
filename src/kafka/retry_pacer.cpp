#include "kafka/retry_pacer.hpp"

#include <spdlog/spdlog.h>

namespace domain_events::detail {

std::chrono::milliseconds retry_pacer::failed(std::string_view message, clock::time_point now) noexcept {
    const auto retry_in = pause_.next();
    try {
        if (consecutive_++ == 0) first_failure_ = now;
        if (message == last_message_ && now - last_line_ < interval_) {
            ++unlogged_;
            return retry_in;
        }
        if (unlogged_ > 0) {
            log_.error("{}: the failure before repeated {} more time(s) in the last {} s", what_, unlogged_,
                       std::chrono::duration_cast<std::chrono::seconds>(now - last_line_).count());
        }
        log_.error("{}: {}; retrying in {} ms (failure {} in a row; repeats logged once per {} s)", what_, message,
                   retry_in.count(), consecutive_, std::chrono::duration_cast<std::chrono::seconds>(interval_).count());
        last_message_ = message;
        last_line_ = now;
        unlogged_ = 0;
    } catch (...) {
        // Logging must not take the loop down: the failure is also in the loop's status.
    }
    return retry_in;
}

void retry_pacer::recovered(clock::time_point now) noexcept {
    if (consecutive_ == 0) return;
    try {
        log_.info("{}: recovered after {} failure(s) in {} s", what_, consecutive_,
                  std::chrono::duration_cast<std::chrono::seconds>(now - first_failure_).count());
    } catch (...) {
    }
    consecutive_ = 0;
    unlogged_ = 0;
    pause_.reset();
    last_message_.clear();
}

}  // namespace domain_events::detail
