#pragma once
// What the consumer's status reports beyond its counters: the assignment, the lag of each
// partition, the time of the last progress, whether a message is in hand, and the last error.
// Written on the run() thread (inside poll's callbacks and the loop), read from any thread.
// Internal.
//
// Where the lag's two ends come from, and why:
// - the end: `rd_kafka_get_watermark_offsets`, the high watermark librdkafka's fetcher caches
//   from every fetch response; a local read, no request, refreshed from `poll` twice a second.
//   librdkafka's statistics carry it too, but their document is queued behind the messages
//   already fetched, so during a backlog (when lag matters) it would arrive late.
// - the position: the offset this member stored after dealing with a message (exact, per
//   message, before it is committed); before the first one, the committed offset from the
//   statistics document (a group that never committed starts at the low watermark when it reads
//   from the beginning). `rd_kafka_committed` would ask the coordinator, blocking `poll`.
#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/consume/consumer_status.hpp"

namespace domain_events::detail {

struct topic_partition {
    std::string topic;
    std::int32_t partition = 0;
    auto operator<=>(const topic_partition&) const = default;
};

/** @brief What is known of one assigned partition's offsets (nullopt: unknown). */
struct partition_offsets {
    std::optional<std::int64_t> stored;     ///< next offset after the last message this member dealt with
    std::optional<std::int64_t> committed;  ///< the group's committed offset (statistics)
    std::optional<std::int64_t> low;        ///< low watermark (statistics)
    std::optional<std::int64_t> high;       ///< high watermark (fetcher's cache, else statistics)
};

/** @brief The offsets librdkafka's statistics document gives for one partition, when it has it. */
struct statistics_offsets {
    std::optional<std::int64_t> committed, low, high;
};

/**
 * @brief Reads `topics.<topic>.partitions.<n>.{committed_offset,lo_offset,hi_offset}` of each
 *        of `wanted` from a statistics document (`statistics.interval.ms`); negative offsets
 *        (RD_KAFKA_OFFSET_INVALID) are unknown. Partitions it lacks are left out; a document
 *        that is not JSON gives nothing. Never throws.
 */
[[nodiscard]] std::map<topic_partition, statistics_offsets> offsets_from_statistics(
    std::string_view statistics_json, const std::vector<topic_partition>& wanted);

/**
 * @brief The lag of one partition: position = the larger of stored and committed, else the low
 *        watermark when `from_beginning`, else unknown; lag = high - position, never negative.
 */
[[nodiscard]] partition_lag lag_of(const topic_partition& tp, const partition_offsets& offsets, bool from_beginning);

/**
 * @brief The stall rule: running, assigned, nothing dealt with for `stall_after` (counted from
 *        the last assignment when that is later), and either a message in hand (a handler that
 *        does not return, a dead letter that is not delivered) or lag left.
 */
[[nodiscard]] bool is_stalled(bool running, const std::vector<partition_lag>& partitions, bool message_in_hand,
                              std::optional<std::chrono::milliseconds> since_progress,
                              std::chrono::milliseconds stall_after);

/** @brief A partition that `wait_until_caught_up` waits for, and the end it had when asked. */
struct catch_up_target {
    topic_partition tp;
    std::int64_t end = 0;
};

/**
 * @brief True when every target's position in `now` has reached its end, or it is no longer
 *        assigned (its new owner catches up on it).
 */
[[nodiscard]] bool caught_up(const std::vector<catch_up_target>& targets, const std::vector<partition_lag>& now);

class consumer_progress {
public:
    /** @brief How `auto.offset.reset` starts a group without offsets (the lag before its first commit). */
    void set_from_beginning(bool from_beginning) noexcept { from_beginning_.store(from_beginning); }

    /** @brief Partitions added to the assignment (eager: all of it; cooperative: the increment). */
    void assigned(const std::vector<topic_partition>& added);
    /** @brief Partitions taken away. */
    void revoked(const std::vector<topic_partition>& removed);
    /** @brief No assignment any more (closed, or a failed rebalance). */
    void unassigned();
    /** @brief The assigned partitions now. */
    [[nodiscard]] std::vector<topic_partition> assignment() const;

    /** @brief `poll` returned a message: it is in hand until `dealt_with`. Lock-free. */
    void received() noexcept;
    /** @brief The message in hand was dealt with; `next_offset` is stored for its partition. */
    void dealt_with(const topic_partition& tp, std::int64_t next_offset);
    /** @brief The high watermarks of assigned partitions, as the fetcher cached them. */
    void high_watermarks(const std::map<topic_partition, std::int64_t>& highs);
    /** @brief A librdkafka statistics document: committed offsets and watermarks. */
    void statistics(std::string_view json);
    /** @brief Remembers `text` as the last error, with the time now. */
    void error(std::string text);

    struct snapshot {
        std::vector<partition_lag> partitions;  ///< sorted by topic and partition
        bool message_in_hand = false;
        std::optional<std::chrono::milliseconds> since_progress;
        std::string last_error;
        std::optional<std::chrono::system_clock::time_point> last_error_at;
    };
    [[nodiscard]] snapshot take() const;

private:
    using clock = std::chrono::steady_clock;
    static constexpr clock::rep never = 0;
    void progressed() noexcept;

    std::atomic<bool> from_beginning_{true};
    std::atomic<bool> in_hand_{false};
    std::atomic<clock::rep> last_progress_{never};  // steady clock ticks; `never` before the first
    mutable std::mutex mutex_;
    std::map<topic_partition, partition_offsets> assignment_;
    std::string last_error_;
    std::optional<std::chrono::system_clock::time_point> last_error_at_;
};

}  // namespace domain_events::detail
