#pragma once
// The consumer's open batch: one SQLite transaction holding the events read back to back (each
// event's idempotency record with its handler's effects), the messages it covers, kept to apply
// them again after a rollback, and their offsets, to be stored only once it committed. After a
// handler threw in it, each event gets a savepoint of its own until the batch ends. Internal;
// no librdkafka: unit-tested on its own (tests/unit/consume/event_batch_test.cpp).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain_events/consume/consumer.hpp"
#include "domain_events/storage/database.hpp"
#include "domain_events/detail/handles.hpp"
#include "domain_events/event.hpp"
#include "domain_events/consume/idempotency_store.hpp"
#include "consume/consumer_tally.hpp"
#include "consume/crash_journal.hpp"
#include "consume/offset_batch.hpp"

namespace domain_events::detail {

/** @brief A message finished inside the batch: applied, a duplicate, or skipped. */
struct batch_item {
    kafka_message message;                   ///< kept to apply it again after a rollback
    message_position at;                     ///< borrows its topic from `message`
    std::optional<event> parsed;             ///< given to a handler: applied or duplicate
    const event_handler* handler = nullptr;  ///< null: skipped
    bool applied = false;
};

class event_batch {
public:
    using clock = std::chrono::steady_clock;

    /** @brief `journal` charges a process death to the message whose handler runs. */
    event_batch(database& db, idempotency_store& store, crash_journal& journal, latency_histogram& handler_latency)
        : db_(db), store_(store), journal_(journal), handler_latency_(handler_latency) {}

    /** @brief Holds a transaction or finished messages. */
    [[nodiscard]] bool open() const noexcept { return !items_.empty() || tx_.has_value(); }
    [[nodiscard]] bool in_transaction() const noexcept { return tx_.has_value(); }
    /** @brief Holds `max_events` messages, or has been open for `max_delay`. */
    [[nodiscard]] bool due(clock::time_point now, std::size_t max_events, clock::duration max_delay) const noexcept {
        return open() && (items_.size() >= max_events || now - started_ >= max_delay);
    }
    /** @brief Each attempt runs in a savepoint of its own (since a handler threw in this batch). */
    [[nodiscard]] bool in_savepoints() const noexcept { return careful_; }

    /**
     * @brief BEGIN IMMEDIATE for the batch.
     * @return false when another writer held SQLite's write lock for the whole busy timeout.
     * @throws storage_error for any other failure.
     */
    bool try_begin();

    /**
     * @brief One attempt at `e` in the open transaction (in a savepoint when `in_savepoints`):
     *        its idempotency record and the handler's effects are kept or rolled back together.
     *        A duplicate (recorded earlier, or earlier in this batch) runs no handler.
     * @param deaths how often the process already died applying it (crash_journal).
     * @return the handler's failure, cut for logs; nullopt when applied or a duplicate. Outside
     *         a savepoint a failure leaves its partial writes in the transaction: roll back with
     *         `roll_back_for_savepoints`.
     * @throws storage_error when our own database fails (`is_the_databases_fault`), not the event.
     */
    std::optional<std::string> attempt(const message_position& at, const event& e, const event_handler& handler,
                                       std::uint32_t deaths, bool& duplicate);

    /** @brief `item` is finished inside the batch: its offset is stored once the batch committed. */
    void add(batch_item item);

    /**
     * @brief Rolls the batch back after a handler failed outside a savepoint; from now on each
     *        attempt gets a savepoint of its own. @return the items, to be applied again.
     */
    [[nodiscard]] std::vector<batch_item> roll_back_for_savepoints();

    /**
     * @brief Commits the transaction when an event was applied in it, else rolls it back
     *        (duplicates and failed attempts only: nothing to keep). The items and offsets stay
     *        until `clear`. @return true when a transaction committed.
     * @throws storage_error when the commit fails (the transaction is rolled back).
     */
    bool commit();

    /** @brief Forgets the batch; an open transaction rolls back. The savepoint mode stays. */
    void clear() noexcept;

    /** @brief The batch ended (due, no message waiting, a sweep, a stop): the next has no savepoints. */
    void end_savepoints() noexcept { careful_ = false; }

    [[nodiscard]] std::span<const batch_item> items() const noexcept { return items_; }
    [[nodiscard]] const offset_batch& offsets() const noexcept { return offsets_; }
    [[nodiscard]] std::uint64_t applied() const noexcept { return applied_; }
    [[nodiscard]] std::uint64_t duplicates() const noexcept { return duplicates_; }

private:
    void touch() {
        if (!open()) started_ = clock::now();
    }

    database& db_;
    idempotency_store& store_;
    crash_journal& journal_;
    latency_histogram& handler_latency_;
    std::optional<transaction> tx_;
    clock::time_point started_{};
    std::vector<batch_item> items_;  // in the order read
    offset_batch offsets_;
    std::uint64_t applied_ = 0, duplicates_ = 0;  // counted once committed
    bool careful_ = false;
};

}  // namespace domain_events::detail
