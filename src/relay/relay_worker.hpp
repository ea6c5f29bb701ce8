#pragma once
// The relay's thread: lease, fetch in commit order, produce, mark acknowledged rows published,
// rewind after failures. Internal; see docs/relay.md for why each step is as it is.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/ack_window.hpp"
#include "kafka/backoff.hpp"
#include "domain_events/storage/database.hpp"
#include "domain_events/storage/outbox.hpp"
#include "domain_events/relay/relay_lease.hpp"
#include "domain_events/kafka/topic_admin.hpp"
#include "kafka/retry_pacer.hpp"
#include "relay/relay_producer.hpp"
#include "relay/relay_state.hpp"

namespace domain_events::detail {

class relay_worker {
public:
    relay_worker(relay::state& shared, std::unique_ptr<database> db, std::string owner);

    /** @brief Runs until the shared state asks it to stop; never throws. */
    void run() noexcept;

private:
    using steady = std::chrono::steady_clock;

    void step();
    bool maintain_lease();
    void ensure_producer();
    void fill_pipeline();
    /// What became of one row offered to the producer.
    enum class produced { sent, refused, no_topic, paused };
    produced produce(const outbox_message& row);
    bool lease_renewal_due() const;
    std::string_view routing_key(std::string_view event_type, std::string_view aggregate_type) const;
    const std::string* known_topic(const outbox_message& row) const;
    void resolve_topic(const std::string& event_type, const std::string& aggregate_type);
    void serve_deliveries(std::chrono::milliseconds timeout);
    void mark_acknowledged();
    void rewind();
    void settle_failures();
    void drain(steady::time_point deadline);
    void delete_expired();
    void wait_for_work(std::chrono::milliseconds at_most);
    void wait_unless_stopped(std::chrono::milliseconds at_most);
    void after_failure(const std::exception& e);
    void shutdown();
    bool stop_requested();

    relay::state& shared_;
    spdlog::logger& log_;
    std::unique_ptr<database> db_;
    outbox outbox_;
    relay_lease lease_;
    backoff backoff_;
    /// Between failed steps (a full disk, a read-only file, a lock held past its timeout): every
    /// step touches SQLite (the lease, the batch, the marks, retention), so all of them pause.
    retry_pacer step_retries_;
    steady::time_point retry_step_at_{};
    std::unique_ptr<relay_producer> producer_;
    std::unique_ptr<topic_admin> admin_;
    /// Routing key (event or aggregate type) -> topic, for topics ensured (or left to
    /// auto-creation) since the last rewind.
    std::map<std::string, std::string, std::less<>> topics_;

    bool lease_held_ = false;
    std::int64_t cursor_ = 0;  ///< highest position produced since the last rewind
    bool caught_up_ = false;
    std::int64_t seen_data_version_ = -1;
    std::vector<delivery> failures_;  ///< failed deliveries awaiting a rewind
    ack_window window_;               ///< produced, not yet marked: the read-ahead, bounded by max_in_flight
    std::vector<delivery> reports_;              ///< reused per serve: no allocation per report
    std::vector<std::int64_t> newly_published_;  ///< reused per mark
    steady::time_point next_lease_check_{};
    steady::time_point next_retention_{};
    steady::time_point resume_at_{};  ///< no producing before this (backoff after a failure)
    /// After a refused batch, events up to here go one at a time, so only the culprit is charged
    /// an attempt (a whole batch fails together) and innocent neighbours are never dead-lettered.
    std::int64_t isolate_through_ = 0;
};

}  // namespace domain_events::detail
