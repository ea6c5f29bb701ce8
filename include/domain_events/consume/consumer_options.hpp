#pragma once
/** @file
 * How a consumer runs (code only; the shared `config` says where Kafka is and how topics are
 * named), and what it counts.
 */
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "domain_events/consume/consumer_schema.hpp"
#include "domain_events/ops/latency_histogram.hpp"

namespace spdlog { class logger; }

namespace domain_events {

struct event;

/** @brief Settings of one `consumer`. */
struct consumer_options {
    /// Kafka consumer group; also the key of the idempotency records. Required.
    std::string group_id;
    /// Event types and patterns to subscribe to (`patient.created`, `patient.*`). Required.
    std::vector<std::string> event_types;
    /// The consumer's own SQLite file: idempotency records and the handlers' effects. Replicas
    /// of one group must share it, or a partition moving between them is applied twice.
    std::string database_path = "consumer.db";
    /// The handlers' tables: created or migrated in `database_path` by the constructor, in one
    /// transaction, before any event (consumer_schema.hpp). Default: none.
    consumer_schema schema{};
    /// Where a group without committed offsets starts: the oldest message, or only new ones.
    bool from_beginning = true;
    /// `run()` returns after this many messages were dealt with (applied, duplicate,
    /// dead-lettered or skipped); 0: no limit.
    std::uint64_t max_events = 0;
    /// `run()` returns when no message arrived for this long; 0: never.
    std::chrono::milliseconds idle_exit{0};
    /// Attempts of a throwing handler before its event is dead-lettered (>= 1).
    int max_handler_attempts = 5;
    /// Deaths of the process in a row while a handler ran on the same message (a segfault, an
    /// abort in a library, an out-of-memory kill) before the next process dead-letters that
    /// message (`dlq.reason=crashed_consumer`, `dlq.attempts` the deaths) instead of running
    /// it again; 0: never. Which message each partition's handler is running is kept in
    /// `<database_path>-crashes` (a small file mapped into memory, 0600). One message can then
    /// stop a group for at most this many restarts.
    int crash_limit = 3;
    /// An event in a topic its type does not route to (`config::routing`: under per_event_type, a
    /// `customer.created` found in `shop.order.placed`; under per_aggregate, another aggregate's
    /// topic) is dead-lettered as `topic_mismatch`, unless this is true: then it is dealt with
    /// as if it had been in its own topic.
    bool accept_topic_mismatch = false;
    /// While a topic it subscribes to does not exist (an event type no event of which was
    /// published yet, a pattern that matches no topic, or the type of a handler under a
    /// pattern), the consumer asks the cluster for the metadata of all topics about this often
    /// (+-20%), so that it reads a new topic seconds after the relay created it, instead of at
    /// librdkafka's `topic.metadata.refresh.interval.ms` (300 s). Once every one exists,
    /// librdkafka's refresh alone. 0: off; else >= 100 ms. `status().missing_topics` lists them.
    std::chrono::milliseconds missing_topic_refresh{2'000};
    /// Pause after the first failed attempt, doubling up to `max_backoff`, with jitter. Keep the
    /// total well under librdkafka's `max.poll.interval.ms` (300 s by default).
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{5'000};
    /// How often stored offsets are committed to Kafka (also on revoke and on shutdown).
    std::chrono::milliseconds commit_interval{1'000};
    /// Batching: the events read back to back are applied in one SQLite transaction (when a
    /// handler throws, the batch is rolled back and applied again with a savepoint per event, so
    /// only the failing event's writes are undone); the transaction commits when no
    /// message is waiting, after `max_batch_events` messages, once `max_batch_delay` passed since
    /// its first, before a dead letter or a retry pause, on revoke and on shutdown. Offsets are
    /// stored only after that commit. 1: one transaction per event (>= 1).
    std::size_t max_batch_events = 1'000;
    /// The longest a batch stays open (and holds SQLite's write lock, which replicas sharing the
    /// file wait for); checked between events (>= 0; 0: commit after each event).
    std::chrono::milliseconds max_batch_delay{10};
    /// How long one wait for SQLite's write lock lasts (another writer holds it: a replica
    /// sharing the file, a tool) before the consumer logs it, notes it in `status()` and waits
    /// again. A locked database delays a consumer; it never stops it (> 0). `stop()` is noticed
    /// between waits.
    std::chrono::milliseconds lock_wait{5'000};
    /// How long idempotency records are kept at least (a sweep deletes older ones as events are
    /// applied, and at least once a minute). A redelivery older than this is applied again
    /// (docs/consuming.md weighs it).
    std::chrono::seconds dedupe_retention{std::chrono::hours{24 * 7}};
    /// A dead-lettered value larger than this is cut to it (`dlq.original.size` says so).
    std::size_t dead_letter_max_bytes = 900'000;
    /// Attempts to deliver one dead letter before `run()` gives up with a publish_error
    /// (nothing is committed past an event that is neither applied nor dead-lettered).
    int dead_letter_attempts = 10;
    /// `status().stalled` (and so an unready HTTP endpoint) when partitions are assigned, some
    /// lag is left, and no message was dealt with for this long (a stuck or always failing
    /// handler, a dead letter that cannot be delivered). Keep it above the slowest handler's
    /// time plus its retries.
    std::chrono::milliseconds stall_after{60'000};
    /// Where the consumer logs; empty: spdlog's default logger.
    std::shared_ptr<spdlog::logger> logger{};
    /// Test hook: called for each applied event after the transaction of its batch committed and
    /// before the batch's offsets are stored, on the `run()` thread (the crash tests kill the
    /// process here).
    std::function<void(const event&)> after_commit{};
};

/** @brief What a consumer has done since it was constructed. */
struct consumer_counters {
    std::uint64_t applied = 0;        ///< handled and recorded, in one committed transaction
    std::uint64_t duplicates = 0;     ///< already recorded: skipped
    std::uint64_t dead_lettered = 0;  ///< sent to `<prefix>.dlq`
    std::uint64_t skipped = 0;        ///< types not subscribed (per_aggregate) or without a handler or fallback
    std::uint64_t handler_retries = 0;  ///< failed handler attempts that were retried
    std::uint64_t rebalances = 0;     ///< partition assignments and revocations
    std::uint64_t commits = 0;        ///< offset commits that succeeded
    latency_snapshot handler_latency;  ///< per applied event: the handler alone (the batch's commit is shared)
};

}  // namespace domain_events
