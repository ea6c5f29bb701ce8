#pragma once
// Applies events into the consumer's open batch (event_batch.hpp): waits for SQLite's write
// lock, retries a throwing handler with backoff (after rolling the batch back and applying its
// earlier events again, each in a savepoint, so only the failing event's writes are undone),
// dead-letters an event whose handler keeps failing, commits the batch and only then stores its
// offsets. Where offsets and dead letters go is a `batch_outlet`: Kafka in the consumer, a
// recorder in the unit tests (tests/unit/consume/batch_applier_test.cpp). Internal.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "domain_events/consume/consumer.hpp"
#include "domain_events/consume/consumer_options.hpp"
#include "domain_events/consume/dead_letter_topic_headers.hpp"
#include "kafka/retry_pacer.hpp"
#include "consume/consumer_progress.hpp"
#include "consume/consumer_tally.hpp"
#include "consume/event_batch.hpp"
#include "consume/stop_request.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/** @brief Where finished messages go: their offsets, and the messages that cannot be applied. */
class batch_outlet {
public:
    /** @brief Stores the offsets of messages dealt with for good (committed or dead-lettered). */
    virtual void store_offsets(const offset_batch& offsets) = 0;
    /**
     * @brief Sends `message` to the dead-letter topic and waits for Kafka's acknowledgement.
     * @return false when stop() came first (nothing to store: it is read again after a restart).
     * @throws publish_error when it cannot be delivered.
     */
    virtual bool send_to_dead_letter_topic(const kafka_message& message, const message_position& at,
                                           dead_letter_reason reason, const std::string& error_text, int attempts) = 0;

protected:
    ~batch_outlet() = default;
};

class batch_applier {
public:
    using clock = std::chrono::steady_clock;
    enum class outcome { done, abandoned };

    /** @brief What the applier borrows from its consumer; each must outlive it. */
    struct context {
        const consumer_options& options;
        spdlog::logger& log;
        stop_request& stop;
        consumer_tally& tally;
        consumer_progress& progress;
        retry_pacer& storage_retries;  ///< told when a batch committed
        batch_outlet& outlet;
    };

    batch_applier(const context& borrowed, database& db, idempotency_store& store, crash_journal& journal)
        : c_(borrowed), batch_(db, store, journal, borrowed.tally.handler_latency) {}

    [[nodiscard]] bool batch_open() const noexcept { return batch_.open(); }
    /** @brief The batch holds `max_batch_events` messages or is `max_batch_delay` old. */
    [[nodiscard]] bool batch_due(clock::time_point now) const noexcept {
        return batch_.due(now, c_.options.max_batch_events, c_.options.max_batch_delay);
    }

    /**
     * @brief Applies `e` with `handler` in the open batch (opened when none is), retrying a
     *        failure up to `max_handler_attempts`, then dead-letters it.
     * @param deaths how often the process already died applying it (crash_journal).
     * @return abandoned when stop() came during a pause: neither it nor the rest of the batch
     *         was stored, so it is read again after a restart.
     * @throws storage_error when our own database fails; publish_error from the outlet.
     */
    outcome apply(kafka_message m, const message_position& at, event&& e, const event_handler& handler,
                  std::uint32_t deaths);

    /** @brief A message no handler takes: finished inside the batch, its offset stored with it. */
    void skip(kafka_message m, const message_position& at);

    /**
     * @brief Sends `m` to the dead-letter topic after committing the open batch (the wait for
     *        Kafka never holds SQLite's write lock, and offsets stay in order), then stores its offset.
     */
    outcome dead_letter_now(const kafka_message& m, const message_position& at, dead_letter_reason reason,
                            const std::string& error_text, int attempts);

    /**
     * @brief Commits the open batch, then counts it, runs the after_commit hook for each applied
     *        event and stores the batch's offsets: an offset is never stored before its event
     *        committed. On a failure nothing of the batch is stored (it is read again).
     */
    void finish_batch();

    /** @brief The loop ends a batch (due, queue empty, sweep, stop): the next starts without savepoints. */
    void end_batch() {
        finish_batch();
        batch_.end_savepoints();
    }

    /** @brief After a failure: the open batch rolls back, its messages count as not dealt with. */
    void drop_after_failure() noexcept {
        uncount_batch();
        batch_.clear();
    }

    /** @brief One more message dealt with (applied, duplicate, skipped or dead-lettered). */
    void dealt_with() noexcept { ++handled_; }
    /** @brief Messages dealt with, for `max_events`; those of a batch that failed are taken back. */
    [[nodiscard]] std::uint64_t handled() const noexcept { return handled_; }

private:
    bool begin_batch();
    outcome apply_again_carefully();
    void uncount_batch() noexcept { handled_ -= std::min<std::uint64_t>(handled_, batch_.items().size()); }

    context c_;
    event_batch batch_;
    std::uint64_t handled_ = 0;
};

}  // namespace domain_events::detail
