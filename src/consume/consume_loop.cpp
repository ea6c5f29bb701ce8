#include "consume/consume_loop.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "domain_events/error.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "kafka/kafka_conf.hpp"
#include "consume/error_text.hpp"
#include "consume/missing_topics.hpp"

namespace domain_events::detail {
namespace {

constexpr std::chrono::milliseconds poll_timeout{100};  // how soon stop() and the limits are noticed

}  // namespace

consume_loop::consume_loop(const context& borrowed)
    : c_(borrowed),
      dead_letters_({c_.settings, c_.options, c_.log, c_.stop, c_.tally, c_.member_counters.progress}),
      applier_({c_.options, *c_.log, c_.stop, c_.tally, c_.member_counters.progress, c_.storage_retries, *this}, c_.db,
               c_.store, c_.journal),
      dispatch_({c_.settings, c_.options, *c_.log, c_.topics, c_.handlers, c_.sensitive, c_.journal, c_.tally,
                 applier_}),
      sweep_(c_.store, *c_.log, c_.options.group_id, c_.options.dedupe_retention),
      read_ahead_(json_bounds{c_.settings.validation.max_payload_bytes, c_.settings.validation.max_depth}) {}

// The member's revoke callback calls into this loop: it goes with it.
consume_loop::~consume_loop() {
    if (c_.membership.member) c_.membership.member->on_revoke({});
}

void consume_loop::run() {
    join_group();
    c_.log->info("consumer {}: subscribed to {} topic(s) for {} event type(s)", c_.options.group_id,
                 c_.topics.topics().size(), c_.topics.event_types().size());
    while (true) {
        try {
            sweep_.run(c_.tally.applied.load());
            loop();
            read_ahead_.drop();
            break;
        } catch (const storage_error& e) {
            // Our own database failed (a full disk, a read-only file): the batch rolled back and
            // none of its offsets was stored. Leave the group (what was read comes again),
            // pause, growing with each failure, and join again: the consumer recovers by itself.
            leave_after_failure();
            const auto pause = c_.storage_retries.failed(e.what(), clock::now());
            c_.member_counters.progress.error(e.what());
            if (c_.stop.wait_for(pause)) break;
            join_group();
        } catch (...) {
            leave_after_failure();
            throw;
        }
    }
    c_.new_topics.stop();
    member().close();
}

// A new member of the group, subscribed: at the start, and again after a storage failure.
void consume_loop::join_group() {
    c_.new_topics.stop();  // it borrows the member being replaced
    auto joining = std::make_unique<group_member>(c_.member_properties, *c_.log, c_.member_counters);
    {
        std::lock_guard lock(c_.membership.mutex);
        c_.membership.member = std::move(joining);
    }
    member().on_revoke([this](const std::vector<topic_partition>& revoked) { before_revoke(revoked); });
    member().subscribe(c_.topics.topics());
    std::vector<std::string> handled_types;
    for (const auto& entry : c_.handlers.by_type) handled_types.push_back(entry.first);
    c_.new_topics.start(member(), expect_topics(c_.topics, topic_prefix_of(c_.settings), c_.settings.routing,
                                                handled_types));
}

bool consume_loop::max_events_reached() const noexcept {
    return c_.options.max_events > 0 && applier_.handled() >= c_.options.max_events;
}

bool consume_loop::limits_reached(clock::time_point last_message) const {
    if (max_events_reached()) return true;
    return c_.options.idle_exit.count() > 0 && clock::now() - last_message >= c_.options.idle_exit;
}

// Reads what librdkafka already holds, up to a burst; waits up to `timeout` for the first
// message. Consumer errors (unknown topic, broker down, PARTITION_EOF) are informational:
// librdkafka retries, and the events are still there to read.
void consume_loop::read_burst(std::chrono::milliseconds timeout) {
    while (read_ahead_.wants_more()) {
        auto message = member().poll(read_ahead_.nothing_read() ? timeout : std::chrono::milliseconds{0});
        if (revoke_failure_) std::rethrow_exception(std::exchange(revoke_failure_, nullptr));
        if (!message) return;
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                const auto text = kafka_error_text(message->err);
                if (message->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && message->rkt != nullptr) {
                    c_.new_topics.reported_unknown(rd_kafka_topic_name(message->rkt));  // logs it once
                } else {
                    c_.log->warn("consumer {}: {}", c_.options.group_id, text);
                }
                c_.member_counters.progress.error(text);
            }
            return;
        }
        read_ahead_.read(std::move(message));
    }
}

// Each round reads the next burst, hands it to the parsing thread, and applies the burst parsed
// in the round before, in the order read.
void consume_loop::loop() {
    auto last_message = clock::now();
    auto last_commit = clock::now();
    while (!c_.stop.requested() && !limits_reached(last_message)) {
        if (member().fatal_error()) {
            throw publish_error("consumer " + c_.options.group_id + ": " + *member().fatal_error(),
                                RD_KAFKA_RESP_ERR__FATAL);
        }
        const auto now = clock::now();
        if (applier_.batch_due(now)) applier_.end_batch();
        if (stored_since_commit_ && now - last_commit >= c_.options.commit_interval) {
            member().commit_async();
            stored_since_commit_ = false;
            last_commit = now;
        }
        if (sweep_.due(c_.tally.applied.load(), now)) {
            applier_.end_batch();  // a slice of the sweep is a transaction of its own
            sweep_.run(c_.tally.applied.load());
        }
        // With a batch open or a burst being parsed, take only what is already waiting: a batch
        // never waits for Kafka while holding SQLite's write lock.
        read_burst(applier_.batch_open() || read_ahead_.parsing() ? std::chrono::milliseconds{0} : poll_timeout);
        bool read_more = false;
        auto parsed = read_ahead_.swap(read_more);
        if (read_more) last_message = clock::now();
        if (parsed.empty()) {
            if (!read_ahead_.parsing()) applier_.end_batch();  // nothing waiting and nothing in hand
            continue;
        }
        const auto applying_since = clock::now();
        for (auto& item : parsed) {
            if (c_.stop.requested() || max_events_reached()) break;
            if (applier_.batch_due(clock::now())) applier_.end_batch();
            if (dispatch_.process(std::move(item.message), std::move(item.checked)) ==
                batch_applier::outcome::abandoned) {
                applier_.finish_batch();
                return;
            }
            applier_.dealt_with();
        }
        read_ahead_.applied(parsed.size(), clock::now() - applying_since);
    }
    applier_.finish_batch();  // stop, limits: the open batch commits before the offsets are
}

// Inside poll(), before a revoke commits the stored offsets. Must not throw into librdkafka: a
// failure is kept and rethrown by the loop once poll() returns. What was read ahead from the
// revoked partitions is dropped, not applied: its offsets were never stored, so their next owner
// reads it (and an eager rebalance that gives them back resumes from the committed offsets).
void consume_loop::before_revoke(const std::vector<topic_partition>& revoked) noexcept {
    try {
        applier_.finish_batch();
        read_ahead_.revoked(revoked);
    } catch (...) {
        if (!revoke_failure_) revoke_failure_ = std::current_exception();
    }
}

// After the loop failed: what was read ahead and the open batch are dropped (rolled back, none
// of their offsets stored: they come again), and the member leaves the group, committing what
// was stored (every stored offset is of a committed event).
void consume_loop::leave_after_failure() noexcept {
    drop_read_ahead_after_failure();
    applier_.drop_after_failure();
    c_.new_topics.stop();
    member().close();
}

// As read_ahead::drop, while another failure is on its way out: one of the parsing thread's own
// is logged, not thrown over it.
void consume_loop::drop_read_ahead_after_failure() noexcept {
    try {
        read_ahead_.drop();
    } catch (const std::exception& e) {
        c_.log->error("consumer {}: parsing ahead failed too: {}", c_.options.group_id, e.what());
    } catch (...) {
        c_.log->error("consumer {}: parsing ahead failed too, with something that is not a std::exception",
                      c_.options.group_id);
    }
}

void consume_loop::store_offsets(const offset_batch& offsets) {
    stored_since_commit_ = member().store_offsets(offsets) || stored_since_commit_;
}

bool consume_loop::send_to_dead_letter_topic(const kafka_message& message, const message_position&,
                                             dead_letter_reason reason, const std::string& error_text, int attempts) {
    return dead_letters_.send(*message, reason, error_text, attempts);
}

}  // namespace domain_events::detail
