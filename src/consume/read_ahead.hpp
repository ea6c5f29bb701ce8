#pragma once
// The consumer's read-ahead: the burst being read from librdkafka, handed to the parsing thread
// (parse_ahead.hpp) while the burst parsed in the round before is applied. A burst's size follows
// the time an event took to apply, so that a burst takes about `burst_apply_target`: between two
// polls (which serve rebalances and refresh the lag) there is at most that or one slow event, as
// there was before reading ahead. Internal.
#include <chrono>
#include <cstddef>
#include <vector>

#include "consume/consumer_progress.hpp"
#include "consume/parse_ahead.hpp"

namespace domain_events::detail {

class read_ahead {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::size_t burst_max = 256;
    static constexpr std::chrono::milliseconds burst_apply_target{10};

    explicit read_ahead(const json_bounds& bounds) : parser_(bounds) {}

    /** @brief The burst being read has room for another message. */
    [[nodiscard]] bool wants_more() const noexcept { return reading_.size() < burst_limit_; }
    [[nodiscard]] bool nothing_read() const noexcept { return reading_.empty(); }
    void read(kafka_message m) { reading_.push_back({std::move(m), {}}); }

    /** @brief A burst is with the parsing thread. */
    [[nodiscard]] bool parsing() const noexcept { return parser_.busy(); }

    /**
     * @brief Waits for the burst being parsed and returns it, in the order read, without what a
     *        revoke took away meanwhile; then hands the burst read since to the parsing thread.
     * @param started set true when a burst was handed over (a message arrived).
     */
    [[nodiscard]] std::vector<parse_ahead::item> swap(bool& started);

    /** @brief Sizes the next bursts after `events` took `took` to apply. */
    void applied(std::size_t events, clock::duration took);

    /**
     * @brief Drops what was read from `revoked` (its offsets were never stored: the partitions'
     *        next owner reads it); the burst being parsed is filtered when it returns.
     */
    void revoked(const std::vector<topic_partition>& revoked);

    /** @brief Drops everything read ahead and not applied; rethrows a failure of the parsing thread. */
    void drop();

private:
    parse_ahead parser_;
    std::vector<parse_ahead::item> reading_;          // the burst being read
    std::vector<topic_partition> revoked_while_parsing_;  // filtered from the parsed burst
    std::size_t burst_limit_ = 1;  // until an event's apply time is known
    clock::duration apply_cost_{};  // per event, smoothed over the last bursts
};

}  // namespace domain_events::detail
