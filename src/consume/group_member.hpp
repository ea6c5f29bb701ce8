#pragma once
// The consumer's librdkafka client: group membership, the rebalance callback, stored offsets
// and their commits. Internal.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/kafka_client.hpp"
#include "consume/consumer_progress.hpp"
#include "consume/offset_batch.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/** @brief What the member fixes in the consumer configuration; the user's properties come on top. */
[[nodiscard]] std::map<std::string, std::string> group_member_properties(const std::string& bootstrap_servers,
                                                                         const std::string& group_id,
                                                                         bool from_beginning,
                                                                         const std::map<std::string, std::string>& user);

/** @brief Counted from librdkafka's callbacks (which run inside `poll`); readable from any thread. */
struct group_member_counters {
    std::atomic<std::uint64_t> rebalances{0};
    std::atomic<std::uint64_t> commits{0};
    consumer_progress progress;  ///< assignment, lag per partition, last progress and error
};

class group_member {
public:
    /** @throws config_error when librdkafka refuses a property. */
    group_member(const std::map<std::string, std::string>& properties, spdlog::logger& log_to,
                 group_member_counters& counters);
    ~group_member();

    group_member(const group_member&) = delete;
    group_member& operator=(const group_member&) = delete;

    /** @brief Topics and `^regex` patterns. @throws consume_error when librdkafka refuses. */
    void subscribe(const std::vector<std::string>& topics);

    /** @brief The next message or error, null after `timeout`. Rebalances and commit results are served here. */
    [[nodiscard]] kafka_message poll(std::chrono::milliseconds timeout);

    /**
     * @brief Marks the messages of a committed batch done, in one call: each partition's next
     *        offset is committed with the next commit.
     * @return true when at least one offset was stored. An offset of a partition no longer
     *         assigned (revoked meanwhile) is not: the new owner reads it again and finds it recorded.
     */
    bool store_offsets(const offset_batch& offsets);

    /**
     * @brief Called on a revoke with the revoked partitions (inside `poll`, before the stored
     *        offsets are committed) so the owner can commit its open batch and store its offsets
     *        first, and drop what it read ahead from them. Must not throw.
     */
    void on_revoke(std::function<void(const std::vector<topic_partition>&)> before_commit) {
        before_revoke_ = std::move(before_commit);
    }

    /** @brief Commits the stored offsets without waiting (the result is logged by the callback). */
    void commit_async();

    /** @brief Commits the stored offsets and waits; logs and returns false on failure. */
    bool commit_sync();

    /**
     * @brief Commits, leaves the group (revoking, through poll: librdkafka's close serves no
     *        rebalance), and stops fetching. Idempotent; never throws. Waits up to 30 s for the
     *        group to settle; a static member (group.instance.id) keeps its membership.
     */
    void close() noexcept;

    /**
     * @brief Asks the partition's leader for its low and high watermarks (a request, unlike the
     *        cached ones the lag uses). Safe from any thread while the member lives.
     * @return nullopt when the leader did not answer within `timeout`.
     */
    [[nodiscard]] std::optional<std::pair<std::int64_t, std::int64_t>> query_watermarks(
        const topic_partition& tp, std::chrono::milliseconds timeout) const;

    /**
     * @brief The cluster's topics that have no error, from a metadata request for all topics.
     *        Only such a request makes librdkafka match the subscription again (and rejoin the
     *        group when that changed it): one for some topics does not. Safe from any thread
     *        while the member lives.
     * @return nullopt when no answer came within `timeout` (librdkafka still uses a late one).
     */
    [[nodiscard]] std::optional<std::vector<std::string>> cluster_topics(std::chrono::milliseconds timeout) const;

    /** @brief Events waiting for the next `poll` (messages, rebalances, commit results, statistics). */
    [[nodiscard]] std::size_t queued_events() const;

    /** @brief The fatal error that ended the member, if any. */
    [[nodiscard]] const std::optional<std::string>& fatal_error() const noexcept { return client_.fatal_error(); }

private:
    // librdkafka's callbacks, through kafka_callback (run inside poll, on its thread).
    void on_rebalance(rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions);
    void on_commit(rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* offsets);
    void on_error(int error, const char* reason);
    int on_statistics(char* json, std::size_t json_length);
    void assign(rd_kafka_topic_partition_list_t* partitions);
    void revoke(rd_kafka_topic_partition_list_t* partitions);
    void read_high_watermarks();
    void settle_before_closing() noexcept;
    [[nodiscard]] bool has_left_group() const;

    group_member_counters& counters_;
    std::function<void(const std::vector<topic_partition>&)> before_revoke_;
    bool closed_ = false;
    const bool cooperative_;    // the rebalance protocol the properties choose
    const bool static_member_;  // group.instance.id set: closing keeps the membership (KIP-345)
    std::chrono::steady_clock::time_point watermarks_read_{};  // when the high watermarks were last read
    kafka_client client_;  // last: destroyed first, while the members its callbacks touch live
};

}  // namespace domain_events::detail
