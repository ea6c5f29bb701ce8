#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace domain_events::gateway {

rate_limiter::rate_limiter(double rate, double burst, std::size_t max_clients)
    : rate_(rate), burst_(std::max(burst, 1.0)), max_clients_(std::max<std::size_t>(max_clients, 1)) {}

void rate_limiter::refill(bucket& b, clock::time_point now) const noexcept {
    if (now > b.updated) {
        const double elapsed = std::chrono::duration<double>(now - b.updated).count();
        b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
        b.updated = now;
    }
}

rate_limiter::bucket* rate_limiter::make_room_for(std::string_view client, clock::time_point now) {
    if (buckets_.size() >= max_clients_) {
        // A full bucket is what a new one would be: dropping it changes no client's allowance.
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            refill(it->second, now);
            it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
        }
        if (buckets_.size() >= max_clients_) return nullptr;
    }
    return &buckets_.emplace(std::string(client), bucket{burst_, now}).first->second;
}

std::optional<std::chrono::milliseconds> rate_limiter::take(std::string_view client, clock::time_point now) {
    std::lock_guard lock(mutex_);
    bucket* b = nullptr;
    if (const auto it = buckets_.find(std::string(client)); it != buckets_.end()) {
        b = &it->second;
    } else {
        b = make_room_for(client, now);
        if (b == nullptr) {
            b = &overflow_;
            if (b->updated == clock::time_point{}) *b = bucket{burst_, now};
        }
    }
    refill(*b, now);
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return std::nullopt;
    }
    const double wait_seconds = (1.0 - b->tokens) / rate_;
    return std::chrono::milliseconds{static_cast<long long>(std::ceil(wait_seconds * 1000.0))};
}

std::size_t rate_limiter::clients() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace domain_events::gateway
