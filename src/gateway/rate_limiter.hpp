#pragma once
// Per-client token buckets: each client (its address, or a header naming it) may send `rate`
// requests a second on average and `burst` at once. The number of buckets kept is bounded, so
// clients inventing names cannot grow the map without limit.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace domain_events::gateway {

/** @brief Token buckets by client. Thread-safe. */
class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    /** @param rate tokens a second (> 0); @param burst the bucket's size (>= 1); @param max_clients buckets kept. */
    rate_limiter(double rate, double burst, std::size_t max_clients);

    /**
     * @brief Takes one token of `client`'s bucket at `now`.
     * @return nullopt when admitted; else how long until a token is there (for Retry-After).
     *         With `max_clients` buckets held and none full (none idle), a new client shares one
     *         overflow bucket with the other newcomers.
     */
    [[nodiscard]] std::optional<std::chrono::milliseconds> take(std::string_view client, clock::time_point now);

    /** @brief Buckets held now. */
    [[nodiscard]] std::size_t clients() const;

private:
    struct bucket {
        double tokens = 0;
        clock::time_point updated;
    };
    void refill(bucket& b, clock::time_point now) const noexcept;
    bucket* make_room_for(std::string_view client, clock::time_point now);

    double rate_;
    double burst_;
    std::size_t max_clients_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
    bucket overflow_;
};

}  // namespace domain_events::gateway
