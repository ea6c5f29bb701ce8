#pragma once
/** @file
 * What a running consumer looks like from outside: its assignment with the lag of each
 * partition, its counters, whether it is stalled, its last error. `consumer::status()` takes
 * one from any thread; the consumer's HTTP endpoint (`consumer_http.hpp`) serves it.
 */
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain_events/consume/consumer_options.hpp"

namespace domain_events {

/** @brief One assigned topic-partition and how far behind its end the consumer is. */
struct partition_lag {
    std::string topic;
    std::int32_t partition = 0;
    /// The partition's end (high watermark) at the last statistics update; nullopt before the first.
    std::optional<std::int64_t> end_offset;
    /// The next offset this group has to deal with: the stored offset (every message before it
    /// is applied, skipped or dead-lettered), else the committed offset, else where
    /// `from_beginning` starts; nullopt when none of these is known yet.
    std::optional<std::int64_t> position;
    /// `end_offset - position` (never negative); nullopt while either is unknown.
    std::optional<std::int64_t> lag;
};

/** @brief A consistent picture of one consumer at one moment; plain data. */
struct consumer_status {
    std::string group_id;
    bool running = false;                 ///< inside `run()`
    bool failed = false;                  ///< `run()` ended with an exception (its text in `last_error`)
    std::vector<partition_lag> partitions;  ///< the current assignment, sorted by topic and partition
    consumer_counters counters;
    /// Since the last message was dealt with, or since the last assignment when later; nullopt
    /// before either happened.
    std::optional<std::chrono::milliseconds> since_progress;
    /// Running, assigned, some lag, and no progress for `consumer_options::stall_after`.
    bool stalled = false;
    /// Subscribed topics not in the cluster at the last look, and patterns (`<prefix>.patient.*`)
    /// that matched none, sorted; empty when all exist, before the first look, and with
    /// `consumer_options::missing_topic_refresh` 0.
    std::vector<std::string> missing_topics;
    std::string last_error;  ///< the last Kafka, handler or dead-letter error; empty when none
    /// When `last_error` happened (wall clock); nullopt when none.
    std::optional<std::chrono::system_clock::time_point> last_error_at;

    [[nodiscard]] bool assigned() const noexcept { return !partitions.empty(); }
    /// The sum of the known lags (0 when none is known).
    [[nodiscard]] std::int64_t total_lag() const noexcept {
        std::int64_t sum = 0;
        for (const auto& p : partitions) sum += p.lag.value_or(0);
        return sum;
    }
};

}  // namespace domain_events
