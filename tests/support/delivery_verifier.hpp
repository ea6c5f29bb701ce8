#pragma once
// Checks what reached Kafka against what the outbox committed (DESIGN.md, guarantees 2 and 3):
// nothing lost, nothing reordered per key, nothing that was never committed; duplicates are
// allowed and counted. Shared by the relay tests (mock cluster, killed processes, real broker)
// and the chaos tests.
//
//   const auto committed = committed_events(settings.database_path, settings);
//   const auto delivered = read_all(settings.bootstrap_servers, topics_of(committed), 60s);
//   const auto result = verify(committed, delivered);
//   EXPECT_TRUE(result.ok()) << describe(result);
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <domain_events/config.hpp>

namespace domain_events::testing {

/** One event the outbox committed, and where the routing sends it. */
struct committed_event {
    std::int64_t position = 0;  ///< commit order (a dead letter's original position)
    std::string event_id;
    std::string aggregate_id;   ///< the Kafka key it must carry
    std::string topic;          ///< the topic `topic_for(settings.topic_prefix, settings.routing, ...)` names
    bool dead = false;          ///< in the outbox's dead letters: must not be in Kafka
};

/**
 * Every row of `domain_events_outbox` (published or pending) and of `domain_events_dead_letters`
 * (flagged `dead`) in the SQLite file at `db_path`, opened read-only, in position order. Rows
 * already removed by retention are not there: read before retention deletes what you check.
 * Throws storage_error when the file or the tables are missing.
 */
std::vector<committed_event> committed_events(const std::string& db_path, const config& settings);

/** The distinct topics of the events that must reach Kafka (dead letters' own topics excluded), sorted. */
std::vector<std::string> topics_of(const std::vector<committed_event>& committed);

/** One record read back from Kafka. */
struct delivered_message {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key;       ///< empty for a null key
    std::string event_id;  ///< the last `event_id` header, else the envelope's `event_id`, else empty
};

/**
 * Every record of every partition of `topics`, from the beginning to the end each partition had
 * when it was reached (a snapshot: nothing produced concurrently is waited for), in the order
 * read (offset order within a partition). A plain consumer with assigned partitions: no
 * subscription, no rebalance, no offsets committed.
 *
 * The end is the one Kafka lists (ListOffsets) once the fetcher reports end-of-partition, not that
 * report itself: after a leader change, fetches can end at a high watermark that lags what was
 * acknowledged (partition_end.hpp), and reading on to the listed end is what finds it.
 *
 * Throws std::runtime_error when `timeout` (counted from the call, metadata included) passes
 * first, naming each topic[partition] not read to its end and the last Kafka error seen; when a
 * topic does not exist (still unknown after 5 s) or has no partitions; when Kafka refuses a
 * partition for good. (The mock cluster creates a missing topic on the metadata request, so
 * there it reads as empty.)
 */
std::vector<delivered_message> read_all(const std::string& bootstrap_servers, const std::vector<std::string>& topics,
                                        std::chrono::milliseconds timeout);

/** What `verify` found. Counts are exact; `problems` keeps the first few, readable. */
struct verification {
    std::size_t committed = 0;   ///< events that must be in Kafka (dead letters excluded)
    std::size_t dead = 0;        ///< dead letters (must not be in Kafka)
    std::size_t delivered = 0;   ///< distinct committed events found in their topic under their key
    std::size_t lost = 0;        ///< committed events not found
    std::size_t duplicates = 0;  ///< extra copies of a delivered event (at-least-once re-sends): allowed
    /// a first occurrence whose position is not above the previous first occurrence of its
    /// (topic, key, partition); plus one per extra partition a (topic, key) was found in
    std::size_t reorders = 0;
    /// messages without a committed event id, of a dead letter, in the wrong topic or under the wrong key
    std::size_t unexpected = 0;
    std::vector<std::string> problems;  ///< the first `max_problems`, one line each

    static constexpr std::size_t max_problems = 20;

    /** Nothing lost, reordered or unexpected; duplicates are fine. */
    [[nodiscard]] bool ok() const noexcept { return lost == 0 && reorders == 0 && unexpected == 0; }
};

/**
 * Checks `delivered` (in any order: it is sorted by topic, partition, offset first) against
 * `committed`:
 * - every committed event that is not dead appears at least once, in its topic, under its
 *   aggregate id as key (else lost);
 * - a message whose event id is not committed, is a dead letter's, or sits in another topic or
 *   under another key is unexpected (and does not count as delivering its event);
 * - all messages of one (topic, key) are in one partition, and within it the first occurrences
 *   of its events, in offset order, have strictly increasing positions (else reorder);
 * - any later occurrence of an event is a duplicate: a rewind's re-send 1,2,3,2,3 is fine.
 */
verification verify(const std::vector<committed_event>& committed, const std::vector<delivered_message>& delivered);

/** `committed 5 (dead 0), delivered 5, lost 0, duplicates 2, reorders 0, unexpected 0`, then one problem per line. */
std::string describe(const verification& v);

/** Everything above in one call: the outbox at `db_path` (routed by `settings`) against what
 *  `settings.bootstrap_servers` holds in its topics. */
verification verify_outbox_delivered(const std::string& db_path, const config& settings,
                                     std::chrono::milliseconds timeout);

}  // namespace domain_events::testing
