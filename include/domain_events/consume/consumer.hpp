#pragma once
/** @file
 * An idempotent Kafka consumer: subscribes to event types, applies each event with its handler
 * and records its `event_id` in one SQLite transaction, then stores the Kafka offset. A
 * redelivered event is skipped; bad input goes to `<prefix>.dlq`. docs/consuming.md.
 */
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "domain_events/config.hpp"
#include "domain_events/consume/consumer_options.hpp"
#include "domain_events/consume/consumer_status.hpp"

namespace domain_events {

class database;
struct event;

/**
 * @brief Applies one event. `db` is inside the open transaction that also records the
 *        event's id: write the effects through it and return; throw to roll both back (the
 *        event is retried, then dead-lettered). Never commit or roll back yourself.
 */
using event_handler = std::function<void(const event& e, database& db)>;

/**
 * @brief One member of a consumer group, run either on a thread of the caller's (`run()`, which
 *        blocks) or on one of its own (`start()` ... `stop(timeout)`).
 *
 * Threads: `stop()`, `stop(timeout)`, `wait_until_caught_up()`, `counters()`, `status()`,
 * `settings()` and `options()` are safe from any thread. `on()`, `otherwise()`, `run()` and
 * `start()` are for one thread at a time, before the consumer runs; `run()` may be on another
 * thread than the constructor's. Handlers run on the running thread, one at a time.
 */
class consumer {
public:
    /**
     * @brief Checks everything and opens the database; joins no group yet.
     * @throws config_error for a bad setting (empty group, bad event type or pattern, a
     *         librdkafka property librdkafka refuses, no bootstrap servers, a bad `schema`);
     *         storage_error when the database cannot be opened; usage_error when it has a newer
     *         handlers' schema; what `schema.migrate` throws (its transaction rolled back).
     */
    consumer(config settings, consumer_options options);
    /**
     * @brief Closes as `run()` does on return when it was not closed yet; a background run is
     *        stopped and waited for (an exception it ended with is logged). Never throws.
     */
    ~consumer();

    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;

    /**
     * @brief The handler of one event type (exact, not a pattern). A second handler for the
     *        same type replaces the first.
     * @throws usage_error while running; config_error when `event_type` is not subscribed.
     */
    consumer& on(const std::string& event_type, event_handler handler);

    /**
     * @brief The handler of subscribed events whose type has no handler of its own. Without
     *        one, such events are skipped and counted.
     * @throws usage_error while running.
     */
    consumer& otherwise(event_handler handler);

    /**
     * @brief Joins the group and processes messages until `stop()`, `max_events` or
     *        `idle_exit`; then commits the stored offsets and leaves the group. Bad input never
     *        ends it; Kafka errors librdkafka retries are logged.
     * @return the counters at the end.
     * @throws usage_error when already running or run before; publish_error on a fatal Kafka
     *         error or a dead letter that cannot be delivered; storage_error when the database
     *         fails. In each case nothing was committed past an event not applied.
     */
    consumer_counters run();

    /**
     * @brief `run()` on a thread the consumer owns; returns at once. End it with `stop(timeout)`
     *        or the destructor.
     * @throws usage_error when running or run before.
     */
    void start();

    /** @brief Ends `run()` after the current event (which is finished and committed). */
    void stop() noexcept;

    /**
     * @brief Ends a run started by `start()`: `stop()`, then waits up to `timeout` for its thread
     *        (a handler that has not returned keeps it). Without a background run: just `stop()`.
     * @return true when the run has ended; false when it was still finishing (call again, or let
     *         the destructor wait for it).
     * @throws what `run()` threw (once; `status()` shows it as `failed` and `last_error`).
     */
    bool stop(std::chrono::milliseconds timeout);

    /**
     * @brief Waits until this consumer has dealt with (applied, skipped or dead-lettered, and
     *        committed to its database) every message that was in its partitions when called:
     *        once it has an assignment, each partition's end is asked of its leader, then the
     *        consumer's positions are watched. A partition revoked meanwhile counts as done (its
     *        new owner catches up on it). The consumer-side twin of `relay::wait_until_published`.
     * @return false when `timeout` passed first, or the run ended before.
     */
    bool wait_until_caught_up(std::chrono::milliseconds timeout);

    /** @brief A snapshot of the counters; safe from any thread. */
    [[nodiscard]] consumer_counters counters() const;

    /**
     * @brief Assignment, lag per partition (refreshed each second from librdkafka's statistics),
     *        counters, stall and last error, taken together; safe from any thread.
     */
    [[nodiscard]] consumer_status status() const;

    /** @brief The settings it was built with (validated). */
    [[nodiscard]] const config& settings() const noexcept;

    [[nodiscard]] const consumer_options& options() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
