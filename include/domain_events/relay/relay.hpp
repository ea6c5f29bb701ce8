#pragma once
/** @file
 * The relay: publishes the outbox to Kafka in commit order and marks each event published only
 * after Kafka acknowledged it. Runs as a background thread of the application, or as the
 * `domain-events relay` process beside it. docs/relay.md explains the guarantees.
 */
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "domain_events/config.hpp"
#include "domain_events/ops/latency_histogram.hpp"
#include "domain_events/publish/signal.hpp"

namespace spdlog { class logger; }

namespace domain_events {

class publisher;
namespace detail { class relay_worker; }

/** @brief Tuning that is not part of the shared `config` (code only). */
struct relay_options {
    /// Lease owner name; empty: `<hostname>:<pid>:<random>`, unique per relay object.
    std::string owner_id;
    /// librdkafka `linger.ms`. 0: an event committed alone goes out at once; a backlog still
    /// travels in large batches, as messages gather while earlier requests are in flight
    /// (docs/benchmarks.md compares 0 and 1 ms: same drain rate, a third of the latency).
    std::chrono::milliseconds linger{0};
    /// Most events sent but not yet marked published (unacknowledged, or acknowledged behind an
    /// unacknowledged one); the relay reads no further ahead.
    std::size_t max_in_flight = 100'000;
    /// First pause after a failed delivery; doubles per consecutive failure up to `max_backoff`,
    /// each pause drawn at random from [half, all] of it (jitter) so relays do not retry in step.
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{10'000};
    /// How often published rows older than `config::published_retention` are deleted, and how
    /// many per statement (small, so writers never wait long).
    std::chrono::milliseconds retention_interval{1'000};
    std::size_t retention_batch = 1'000;
    /// Called on the relay thread after each batch of acknowledged events is marked published.
    std::function<void(std::span<const std::int64_t> positions)> on_published;
    /// Where the relay logs; empty: spdlog's default logger.
    std::shared_ptr<spdlog::logger> logger;
};

/** @brief What the relay has done since it was constructed, and the outbox as it is now. */
struct relay_counters {
    std::uint64_t published = 0;             ///< events acknowledged by Kafka and marked published
    std::uint64_t failed_attempts = 0;       ///< deliveries that failed (each counted on its event)
    std::uint64_t dead_lettered = 0;         ///< events moved to the outbox's dead letters
    std::uint64_t rewinds = 0;               ///< restarts from the oldest unacknowledged event
    std::uint64_t producer_recreations = 0;  ///< producers replaced after a fatal error
    std::int64_t pending = 0;
    std::optional<std::chrono::milliseconds> oldest_pending_age;
    bool lease_held = false;
    /// Steps of the relay's loop that failed in a row (a full disk, a read-only file, a lock held
    /// past its timeout); 0 once one succeeds. While > 0 the relay retries after a growing pause
    /// (`initial_backoff` doubling to `max_backoff`, with jitter) and logs once per 30 s.
    std::uint64_t consecutive_failures = 0;
    std::string last_error;          ///< the most recent failure, empty when none yet
    latency_snapshot commit_to_ack;  ///< from the outbox row's commit time to its acknowledgement
};

/**
 * @brief Publishes one outbox file (`config::database_path`) to Kafka on a background thread.
 *
 * Holds the outbox's lease while it publishes; a second relay on the same file waits and takes
 * over when the first stops or dies. Wakes when an attached publisher commits, and notices other
 * processes' commits by polling SQLite's `data_version` every `config::relay_poll_interval`.
 *
 * Threads: all public members are thread-safe. The relay opens its own connections to the file,
 * so no `database` of the application is used on its thread; `wake_on_commit`'s connection
 * calls `wake()` on the thread that committed; `relay_options::on_published` runs on the relay's
 * thread.
 */
class relay {
public:
    /**
     * @brief Checks `settings` and the producer configuration; nothing starts yet.
     * @throws config_error for a bad setting or a librdkafka property librdkafka refuses.
     */
    explicit relay(config settings, relay_options options = {});
    /** @brief Stops as `stop()` does with the default timeout. */
    ~relay();

    relay(const relay&) = delete;
    relay& operator=(const relay&) = delete;

    /**
     * @brief Opens the outbox (migrating its schema from an earlier version if needed) and
     *        starts the thread. With `kafka_enabled == false` it logs that once and starts
     *        nothing: events stay in the outbox until a relay runs with Kafka enabled.
     * @throws usage_error when already started, or when the file holds no outbox schema (only
     *         the application creates it, through `publisher` or `outbox::install`): the file
     *         is checked read-only first and left as it was; storage_error when it cannot be opened.
     */
    void start();

    /**
     * @brief Stops fetching, waits up to `timeout` for in-flight messages to be acknowledged and
     *        records them, releases the lease and joins the thread. Whatever was not
     *        acknowledged stays pending for the next relay.
     * @return true when nothing in flight had to be abandoned.
     */
    bool stop(std::chrono::milliseconds timeout = std::chrono::seconds{10});

    /** @brief Wakes the relay now (cheap; call it after committing events). */
    void wake() noexcept;

    /**
     * @brief Wakes the relay whenever `p` commits events, for as long as the connection lives.
     *        The connection must not outlive the relay: declare it after the relay.
     */
    [[nodiscard]] scoped_connection wake_on_commit(publisher& p);

    /**
     * @brief Waits until every event committed before the call is acknowledged (or dead-lettered),
     *        whichever relay publishes it. For tests and scripts, so they never sleep and guess.
     * @return false when `timeout` passed first.
     */
    bool wait_until_published(std::chrono::milliseconds timeout);

    [[nodiscard]] relay_counters counters() const;
    [[nodiscard]] bool running() const noexcept;
    [[nodiscard]] const std::string& owner_id() const noexcept;

private:
    friend class detail::relay_worker;
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace domain_events
