#include "ops/connection_deadlines.hpp"

#include <sys/socket.h>

namespace domain_events::detail {

connection_deadlines::token connection_deadlines::opened(int socket, clock::time_point now) {
    std::lock_guard lock(mutex_);
    entries_.push_front({socket, now, false});
    return entries_.begin();
}

void connection_deadlines::answered(token t, clock::time_point now) noexcept {
    std::lock_guard lock(mutex_);
    t->since = now;
}

void connection_deadlines::closed(token t) noexcept {
    std::lock_guard lock(mutex_);
    entries_.erase(t);
}

std::uint64_t connection_deadlines::cut_overdue(clock::time_point now) noexcept {
    std::uint64_t cut = 0;
    std::lock_guard lock(mutex_);
    // Under the lock: `closed` runs before the server closes the socket, so the number cannot
    // have been reused by another connection yet.
    for (auto& e : entries_) {
        if (e.cut || now - e.since < limit_) continue;
        e.cut = true;
        ++cut_total_;
        ::shutdown(e.socket, SHUT_RDWR);
        ++cut;
    }
    return cut;
}

std::uint64_t connection_deadlines::open() const noexcept {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace domain_events::detail
