#pragma once
// A consumer's run, on the thread of run() (or of start()): joins the group, then each round
// reads the next burst, hands it to the parsing thread and applies the burst parsed in the round
// before; commits the stored offsets every `commit_interval`, sweeps old idempotency records, and
// after a failure of its own database leaves the group, pauses and joins again. Wires the pieces:
// read_ahead, message_dispatch, batch_applier (the batch), dead_letter_topic_sender, record_sweep.
// Internal.
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "domain_events/config.hpp"
#include "domain_events/consume/consumer_options.hpp"
#include "domain_events/storage/database.hpp"
#include "domain_events/consume/idempotency_store.hpp"
#include "domain_events/consume/subscription.hpp"
#include "kafka/retry_pacer.hpp"
#include "publish/sensitive_scan.hpp"
#include "consume/batch_applier.hpp"
#include "consume/consumer_tally.hpp"
#include "consume/crash_journal.hpp"
#include "consume/dead_letter_topic_sender.hpp"
#include "consume/group_member.hpp"
#include "consume/message_dispatch.hpp"
#include "consume/missing_topics_refresher.hpp"
#include "consume/read_ahead.hpp"
#include "consume/record_sweep.hpp"
#include "consume/stop_request.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/** @brief The group member of the current run, replaced after a failure; read from other threads. */
struct group_membership {
    std::unique_ptr<group_member> member;  ///< replaced under `mutex`
    mutable std::mutex mutex;
};

class consume_loop final : private batch_outlet {
public:
    /** @brief What the loop borrows from its consumer; each must outlive it. */
    struct context {
        const config& settings;
        const consumer_options& options;
        std::shared_ptr<spdlog::logger> log;
        const subscription& topics;
        const std::map<std::string, std::string>& member_properties;
        database& db;
        idempotency_store& store;
        crash_journal& journal;
        retry_pacer& storage_retries;
        const sensitive_scan& sensitive;
        const handler_table& handlers;
        stop_request& stop;
        consumer_tally& tally;
        group_member_counters& member_counters;
        missing_topics_refresher& new_topics;
        group_membership& membership;
    };

    /**
     * @brief Ensures the dead-letter topic and makes its producer; joins no group yet.
     * @throws config_error when librdkafka refuses a property.
     */
    explicit consume_loop(const context& borrowed);
    ~consume_loop();

    consume_loop(const consume_loop&) = delete;
    consume_loop& operator=(const consume_loop&) = delete;

    /**
     * @brief Joins the group and consumes until stop(), `max_events` or `idle_exit`; recovers by
     *        itself from failures of its own database; closes the member at the end.
     * @throws publish_error on a fatal Kafka error or a dead letter that cannot be delivered;
     *         what the `after_commit` hook throws. The member has left the group.
     */
    void run();

private:
    using clock = std::chrono::steady_clock;

    [[nodiscard]] group_member& member() const noexcept { return *c_.membership.member; }
    void join_group();
    void loop();
    void read_burst(std::chrono::milliseconds timeout);
    void before_revoke(const std::vector<topic_partition>& revoked) noexcept;
    void leave_after_failure() noexcept;
    void drop_read_ahead_after_failure() noexcept;
    [[nodiscard]] bool limits_reached(clock::time_point last_message) const;
    [[nodiscard]] bool max_events_reached() const noexcept;

    // batch_outlet: Kafka.
    void store_offsets(const offset_batch& offsets) override;
    bool send_to_dead_letter_topic(const kafka_message& message, const message_position& at, dead_letter_reason reason,
                                   const std::string& error_text, int attempts) override;

    context c_;
    dead_letter_topic_sender dead_letters_;
    batch_applier applier_;
    message_dispatch dispatch_;
    record_sweep sweep_;
    read_ahead read_ahead_;  // its messages go before the member they came from (the consumer's)
    std::exception_ptr revoke_failure_;  // from finishing the batch inside the revoke callback
    bool stored_since_commit_ = false;
};

}  // namespace domain_events::detail
