#pragma once
/** @file
 * The lease that makes one relay at a time publish an outbox: a row naming the owner and when
 * its claim expires. A relay renews it while it runs; another takes it once it has expired.
 */
#include <chrono>
#include <optional>
#include <string>

#include "domain_events/storage/outbox.hpp"

namespace domain_events {

class database;

/** @brief Who holds the lease and until when. */
struct lease_holder {
    std::string owner;
    time_point_ms expires_at;
};

/**
 * @brief The lease row of one outbox file, seen through one connection (not thread-safe).
 *
 * Expiry uses the wall clock, so relays sharing a file must share a host clock (they share the
 * file, so they do). A relay that cannot renew in time loses the lease and must stop publishing.
 */
class relay_lease {
public:
    /** @brief Binds to `db`, whose file has the outbox schema installed. */
    relay_lease(database& db, std::string owner, std::chrono::milliseconds period);

    /**
     * @brief Takes the lease when it is free or expired, or extends it when `owner` holds it.
     * @return true when `owner` holds the lease until `now + period`.
     */
    bool try_acquire(time_point_ms now);

    /** @brief Gives the lease up at once (if held), so a waiting relay need not wait for expiry. */
    void release();

    /** @brief The current holder, or nothing when the lease is free or expired at `now`. */
    [[nodiscard]] std::optional<lease_holder> holder(time_point_ms now);

    [[nodiscard]] const std::string& owner() const noexcept { return owner_; }
    [[nodiscard]] std::chrono::milliseconds period() const noexcept { return period_; }

private:
    database& db_;
    std::string owner_;
    std::chrono::milliseconds period_;
};

/** @brief The lease row as stored, expired or not (for `domain-events status`). */
[[nodiscard]] std::optional<lease_holder> read_lease(database& db);

}  // namespace domain_events
