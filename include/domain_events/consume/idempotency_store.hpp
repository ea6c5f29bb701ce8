#pragma once
/** @file
 * The consumer's record of the events it applied, in its own SQLite database, so that a
 * redelivered event is recognised and skipped. docs/consuming.md explains why and how.
 */
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace domain_events {

class database;

/**
 * @brief `(consumer group, event_id)` pairs, recorded in the same transaction as the effects
 *        of the event. Bound to one `database` and so to its thread.
 */
class idempotency_store {
public:
    /**
     * @brief Creates the table `domain_events_consumed` if it is missing.
     * @throws usage_error when `group` is empty; storage_error when SQLite refuses.
     */
    idempotency_store(database& db, std::string group);

    /**
     * @brief Records `event_id` for this group at `now_ms`, unless it is there already. Call
     *        inside the transaction that applies the event, so both commit or neither does.
     * @return true when recorded now (apply the event), false when it was already recorded
     *         (a redelivery: skip it).
     * @throws usage_error outside a transaction; storage_error when SQLite refuses.
     */
    bool record(std::string_view event_id, std::int64_t now_ms);

    /** @brief True when `event_id` is recorded for this group. @throws storage_error. */
    [[nodiscard]] bool contains(std::string_view event_id);

    /** @brief What one `sweep` step did. */
    struct sweep_step {
        std::size_t deleted = 0;  ///< records older than the cutoff, deleted
        bool wrapped = false;     ///< the step reached this group's last record: the next starts at the first
    };

    /**
     * @brief Examines the next `max_rows` records of this group in key order, from where the
     *        last step of this object stopped (the first record after a wrap or at first), and
     *        deletes those recorded before `cutoff_ms`; in its own transaction (outside any
     *        other). Records have no index by age, which cost about a tenth of a consumer's
     *        throughput: old ones are found by sweeping. An event redelivered after its record
     *        is gone is applied again: keep records longer than anything can be redelivered.
     * @throws usage_error inside a transaction or when `max_rows` is 0; storage_error when
     *         SQLite refuses.
     */
    sweep_step sweep(std::int64_t cutoff_ms, std::size_t max_rows);

    /** @brief Records held for this group. @throws storage_error. */
    [[nodiscard]] std::int64_t size();

    [[nodiscard]] const std::string& group() const noexcept { return group_; }

private:
    database& db_;
    std::string group_;
    std::string swept_to_;  // the last key the sweep examined; empty: start at the first
};

}  // namespace domain_events
