#include "domain_events/relay/relay_lease.hpp"

#include "domain_events/storage/database.hpp"
#include "domain_events/error.hpp"

namespace domain_events {

relay_lease::relay_lease(database& db, std::string owner, std::chrono::milliseconds period)
    : db_(db), owner_(std::move(owner)), period_(period) {
    if (owner_.empty()) throw usage_error("relay_lease: owner must not be empty");
    if (period_ <= std::chrono::milliseconds::zero()) {
        throw usage_error("relay_lease: period must be positive, got " + std::to_string(period_.count()) + " ms");
    }
}

bool relay_lease::try_acquire(time_point_ms now) {
    const auto now_count = now.time_since_epoch().count();
    return db_.atomic([&] {
        return db_.prepare("UPDATE domain_events_relay_lease SET owner = ?, expires_at_ms = ? "
                           "WHERE id = 1 AND (owner = ? OR owner = '' OR expires_at_ms <= ?)")
                   ->bind_all(owner_, now_count + period_.count(), owner_, now_count)
                   .run() == 1;
    });
}

void relay_lease::release() {
    db_.atomic([&] {
        db_.prepare("UPDATE domain_events_relay_lease SET owner = '', expires_at_ms = 0 WHERE id = 1 AND owner = ?")
            ->bind_all(owner_)
            .run();
    });
}

std::optional<lease_holder> relay_lease::holder(time_point_ms now) {
    auto held = read_lease(db_);
    if (held && held->expires_at <= now) return std::nullopt;
    return held;
}

std::optional<lease_holder> read_lease(database& db) {
    auto q = db.prepare("SELECT owner, expires_at_ms FROM domain_events_relay_lease WHERE id = 1 AND owner <> ''");
    std::optional<lease_holder> held;
    if (q->step()) held = lease_holder{q->column_text(0), time_point_ms{std::chrono::milliseconds{q->column_int64(1)}}};
    return held;
}

}  // namespace domain_events
