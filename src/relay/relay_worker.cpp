#include "relay/relay_worker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "domain_events/error.hpp"
#include "kafka/kafka_conf.hpp"
#include "domain_events/publish/topic_routing.hpp"

namespace domain_events::detail {
namespace {

using std::chrono::milliseconds;

// Reports that say "not this message's fault": the relay purged it, or the producer died.
bool is_collateral(rd_kafka_resp_err_t error) noexcept {
    return error == RD_KAFKA_RESP_ERR__PURGE_QUEUE || error == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
           error == RD_KAFKA_RESP_ERR__FATAL;
}

constexpr milliseconds drain_limit{30'000};

}  // namespace

relay_worker::relay_worker(relay::state& shared, std::unique_ptr<database> db, std::string owner)
    : shared_(shared),
      log_(*shared.log),
      db_(std::move(db)),
      outbox_(*db_),
      lease_(*db_, std::move(owner), shared.settings.lease_period),
      backoff_(shared.options.initial_backoff, shared.options.max_backoff),
      step_retries_(*shared.log, "relay", std::chrono::seconds{30}, shared.options.initial_backoff,
                    shared.options.max_backoff) {}

bool relay_worker::stop_requested() {
    std::lock_guard lock(shared_.mutex);
    return shared_.stop_requested;
}

void relay_worker::run() noexcept {
    while (!stop_requested()) {
        if (const auto now = steady::now(); now < retry_step_at_) {
            wait_unless_stopped(std::chrono::ceil<milliseconds>(retry_step_at_ - now));
            continue;
        }
        try {
            step();
            if (step_retries_.consecutive() > 0) {
                step_retries_.recovered(steady::now());
                shared_.consecutive_failures.store(0);
            }
        } catch (const std::exception& e) {
            after_failure(e);
        }
    }
    try {
        shutdown();
    } catch (const std::exception& e) {
        log_.error("relay: shutdown: {}", e.what());
        shared_.note_error(e.what());
    }
}

// e.g. the disk is full, the file read-only, or the database locked past its busy timeout: keep
// the relay alive, say why (once per interval), and try again after a growing pause.
void relay_worker::after_failure(const std::exception& e) {
    retry_step_at_ = steady::now() + step_retries_.failed(e.what(), steady::now());
    shared_.note_error(e.what());
    shared_.consecutive_failures.store(step_retries_.consecutive());
    failures_.clear();
    try {
        rewind();
    } catch (const std::exception& again) {
        log_.debug("relay: rewind after an error failed too: {}", again.what());
        producer_.reset();
        window_.rewind();
        cursor_ = 0;
    }
}

void relay_worker::step() {
    if (!maintain_lease()) {
        wait_for_work(std::min(shared_.settings.lease_period / 10, milliseconds{1'000}));
        return;
    }
    ensure_producer();
    delete_expired();
    if (steady::now() >= resume_at_) fill_pipeline();
    // Block on delivery reports (poll returns as soon as one arrives) rather than spin, when
    // there is nothing else to do: caught up, one-at-a-time after a refused batch, or the
    // pipeline full (a slow or absent broker). Caught up waits briefly, to see new commits soon.
    const auto in_flight = producer_->in_flight();
    const bool pipeline_full = window_.size() >= shared_.options.max_in_flight || cursor_ < isolate_through_;
    serve_deliveries(in_flight == 0 ? milliseconds{0} : pipeline_full ? milliseconds{10}
                                                      : caught_up_   ? milliseconds{1}
                                                                     : milliseconds{0});
    if (!failures_.empty() || producer_->fatal_error()) rewind();
    const auto now = steady::now();
    if (producer_ && producer_->in_flight() == 0 && (caught_up_ || now < resume_at_)) {
        // Idle, or pausing after a failure: sleep until a commit, the poll interval, or the pause's end.
        const auto poll = shared_.settings.relay_poll_interval;
        wait_for_work(now < resume_at_ ? std::min(std::chrono::ceil<milliseconds>(resume_at_ - now), poll) : poll);
    }
}

bool relay_worker::maintain_lease() {
    const auto now = steady::now();
    if (now < next_lease_check_) return lease_held_;
    const bool held = lease_.try_acquire(now_ms());
    if (held && !lease_held_) {
        log_.info("relay {}: holds the outbox lease of {}", lease_.owner(), db_->path());
        cursor_ = 0;
    } else if (!held && lease_held_) {
        // Another relay took over (this one stalled past its expiry): stop publishing at once.
        log_.warn("relay {}: lost the outbox lease; stops publishing", lease_.owner());
        if (producer_) {
            producer_->purge();
            drain(steady::now() + drain_limit);
            producer_.reset();
        }
        failures_.clear();
        window_.clear();  // what it acknowledged and did not mark, the new holder sends again
    } else if (!held) {
        if (const auto holder = lease_.holder(now_ms()); holder) {
            log_.debug("relay {}: waiting; the lease is held by {}", lease_.owner(), holder->owner);
        }
    }
    lease_held_ = held;
    shared_.lease_held.store(held);
    const auto period = shared_.settings.lease_period;
    next_lease_check_ = now + (held ? period / 3 : std::min(period / 10, milliseconds{1'000}));
    return held;
}

void relay_worker::ensure_producer() {
    if (producer_) return;
    producer_ = std::make_unique<relay_producer>(shared_.producer_properties, log_, shared_.settings.envelope_format);
    cursor_ = 0;
    window_.rewind();
}

void relay_worker::fill_pipeline() {
    caught_up_ = false;
    // The read-ahead is bounded by what is not yet marked (not just what is in flight), so
    // acknowledgements held behind a slow event never pile up without limit.
    const auto window_limit = std::max<std::size_t>(shared_.options.max_in_flight, 1);
    while (failures_.empty() && !stop_requested()) {
        // A long fill must not outlast the lease: end the step so the next one renews it first.
        if (lease_renewal_due()) return;
        const bool isolating = cursor_ < isolate_through_;
        if (isolating ? producer_->in_flight() > 0 : window_.size() >= window_limit) return;
        const auto limit = isolating ? 1 : std::min(shared_.settings.relay_batch_size, window_limit - window_.size());
        auto outcome = produced::sent;
        std::pair<std::string, std::string> unrouted_types;
        const auto read = outbox_.visit_pending(limit, cursor_, [&](const outbox_message& row) {
            if (window_.already_acknowledged(row.position)) {
                cursor_ = row.position;  // acknowledged before a rewind: not sent twice
                return true;
            }
            outcome = produce(row);
            if (outcome == produced::no_topic) {
                unrouted_types = {std::string(row.event_type), std::string(row.aggregate_type)};
            }
            return outcome == produced::sent;
        });
        if (outcome == produced::no_topic) {
            // Looked up outside the read (its statement is open on this connection), then read again.
            resolve_topic(unrouted_types.first, unrouted_types.second);
            continue;
        }
        if (outcome != produced::sent) return;
        if (read < limit) {
            caught_up_ = true;
            return;
        }
        serve_deliveries(milliseconds{0});
    }
}

bool relay_worker::lease_renewal_due() const { return steady::now() >= next_lease_check_; }

relay_worker::produced relay_worker::produce(const outbox_message& row) {
    const auto* topic = known_topic(row);
    if (topic == nullptr) return produced::no_topic;
    auto error = producer_->produce(row, *topic);
    for (int waits = 0; error == RD_KAFKA_RESP_ERR__QUEUE_FULL && waits < 10'000 && !stop_requested(); ++waits) {
        // Room appears as deliveries are reported. They are acted on after this read: its
        // statement is still open on the connection that marks them.
        if (lease_renewal_due()) return produced::paused;  // tried again after the renewal
        producer_->poll(milliseconds{10});
        error = producer_->produce(row, *topic);
    }
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Refused before sending (e.g. larger than message.max.bytes): a failure of this event,
        // and nothing after it may go out first.
        failures_.push_back({row.position, error, kafka_error_text(error)});
        return produced::refused;
    }
    window_.produced(row.position, row.created_at);
    cursor_ = row.position;
    return produced::sent;
}

std::string_view relay_worker::routing_key(std::string_view event_type, std::string_view aggregate_type) const {
    return shared_.settings.routing == topic_routing::per_aggregate ? aggregate_type : event_type;
}

const std::string* relay_worker::known_topic(const outbox_message& row) const {
    const auto found = topics_.find(routing_key(row.event_type, row.aggregate_type));
    return found == topics_.end() ? nullptr : &found->second;
}

void relay_worker::resolve_topic(const std::string& event_type, const std::string& aggregate_type) {
    if (!admin_) {
        admin_ = std::make_unique<topic_admin>(shared_.settings, shared_.admin_timeout(), shared_.log);
        shared_.check_broker_limits(*admin_);
    }
    auto spec = topic_spec_for(shared_.settings, event_type, aggregate_type);
    // Throws publish_error when the cluster cannot be reached: the step is retried after a pause.
    const auto report = admin_->ensure(spec);
    if (report.outcome == topic_outcome::unsupported) {
        log_.info("relay: the cluster has no Admin API; topic {} is left to auto-creation", spec.name);
    }
    topics_.emplace(std::string(routing_key(event_type, aggregate_type)), std::move(spec.name));
}

void relay_worker::serve_deliveries(milliseconds timeout) {
    producer_->poll(timeout);
    producer_->take_deliveries(reports_);
    const auto now = std::chrono::system_clock::now();  // one clock read per batch of reports
    for (auto& d : reports_) {
        if (d.error == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (const auto created = window_.acknowledge(d.position)) {
                shared_.commit_to_ack.record(std::chrono::duration_cast<std::chrono::microseconds>(now - *created));
            }
        } else if (!is_collateral(d.error)) {
            failures_.push_back(std::move(d));
        }
    }
    mark_acknowledged();
}

void relay_worker::mark_acknowledged() {
    // Only the acknowledged prefix: an acknowledgement behind an unacknowledged event waits in
    // the window until the gap fills (or, after a rewind, keeps its event from being re-sent).
    newly_published_.clear();
    const auto through = window_.take_acknowledged_prefix(newly_published_);
    if (through == 0) return;
    {
        std::lock_guard counted(shared_.mark_mutex);
        shared_.published.fetch_add(static_cast<std::uint64_t>(outbox_.mark_published_through(through, now_ms())));
    }
    if (failures_.empty()) backoff_.reset();
    if (shared_.options.on_published) shared_.options.on_published(newly_published_);
    shared_.notify_progress();
}

void relay_worker::drain(steady::time_point deadline) {
    while (producer_->in_flight() > 0 && steady::now() < deadline) serve_deliveries(milliseconds{10});
}

void relay_worker::rewind() {
    // Order per aggregate: nothing behind a failed event may be published before it, so stop,
    // take back everything not yet acknowledged, and start again from the oldest pending row.
    shared_.rewinds.fetch_add(1);
    if (producer_) {
        producer_->purge();
        drain(steady::now() + drain_limit);
        if (const auto& fatal = producer_->fatal_error(); fatal) {
            shared_.note_error(*fatal);
            shared_.producer_recreations.fetch_add(1);
            producer_.reset();  // a fresh producer (new idempotence epoch) on the next step
        } else if (producer_->in_flight() > 0) {
            log_.error("relay: {} message(s) still unreported after purging; replacing the producer",
                       producer_->in_flight());
            producer_.reset();
        }
    }
    settle_failures();
    window_.rewind();
    topics_.clear();  // a failure may mean a topic went away: look again before using it
    cursor_ = 0;
    caught_up_ = false;
}

void relay_worker::settle_failures() {
    const auto failed = std::exchange(failures_, {});
    const auto pause = backoff_.next();
    resume_at_ = steady::now() + pause;
    if (failed.empty()) return;
    const auto now = now_ms();
    std::set<std::int64_t> positions;
    for (const auto& f : failed) positions.insert(f.position);
    // Only an event refused on its own is charged for good: see isolate_through_.
    const bool alone = positions.size() == 1;
    std::size_t dead = 0;
    std::set<std::int64_t> settled;
    for (const auto& f : failed) {
        if (!settled.insert(f.position).second) continue;
        shared_.failed_attempts.fetch_add(1);
        const int attempts = outbox_.record_failure(f.position, f.reason, now + pause);
        if (alone && is_permanent_refusal(f.error) && attempts >= shared_.settings.relay_max_attempts) {
            std::lock_guard counted(shared_.mark_mutex);
            outbox_.move_to_dead_letters(f.position, f.reason, now);
            shared_.dead_lettered.fetch_add(1);
            ++dead;
            log_.error("relay: event at position {} dead-lettered after {} attempt(s): {}", f.position, attempts,
                       f.reason);
        }
    }
    const auto& first = failed.front();
    shared_.note_error("position " + std::to_string(first.position) + ": " + first.reason);
    if (positions.size() > 1) isolate_through_ = std::max(isolate_through_, *positions.rbegin());
    if (dead == positions.size()) {
        // The culprit is out of the way: the events behind it go on at once.
        backoff_.reset();
        resume_at_ = steady::now();
        shared_.notify_progress();
        return;
    }
    log_.warn("relay: {} deliveries failed (first: position {}: {}); re-sending from the oldest pending event in {} ms",
              positions.size(), first.position, first.reason, pause.count());
}

void relay_worker::delete_expired() {
    const auto now = steady::now();
    if (now < next_retention_) return;
    next_retention_ = now + shared_.options.retention_interval;
    const auto cutoff = now_ms() - shared_.settings.published_retention;
    const auto batch = std::max<std::size_t>(shared_.options.retention_batch, 1);
    // A few small statements per tick: each holds the write lock only briefly.
    for (int round = 0; round < 10; ++round) {
        if (outbox_.delete_published_before(cutoff, batch) < batch) break;
    }
}

void relay_worker::wait_for_work(milliseconds at_most) {
    const auto deadline = steady::now() + at_most;
    const auto poll = shared_.settings.relay_poll_interval;
    while (true) {
        {
            std::unique_lock lock(shared_.mutex);
            const auto until = std::min(deadline, steady::now() + poll);
            if (shared_.wake_cv.wait_until(lock, until, [&] { return shared_.wake_requested || shared_.stop_requested; })) {
                shared_.wake_requested = false;
                return;
            }
        }
        // Another process's commit changes data_version; our own writes do not.
        const auto version = db_->data_version();
        if (version != seen_data_version_) {
            seen_data_version_ = version;
            return;
        }
        if (steady::now() >= deadline) return;
    }
}

// Only stop() ends this wait: a commit's wake-up must not cut a pause after a failure short.
void relay_worker::wait_unless_stopped(milliseconds at_most) {
    std::unique_lock lock(shared_.mutex);
    shared_.wake_cv.wait_for(lock, at_most, [&] { return shared_.stop_requested; });
}

void relay_worker::shutdown() {
    bool abandoned = false;
    if (producer_) {
        // Graceful: no more fetching; let what is in flight finish until the deadline.
        steady::time_point deadline;
        {
            std::lock_guard lock(shared_.mutex);
            deadline = shared_.stop_deadline;
        }
        drain(deadline);
        abandoned = producer_->in_flight() > 0;
        if (abandoned) {
            log_.warn("relay: {} message(s) unacknowledged at shutdown stay pending", producer_->in_flight());
            producer_->purge();
            drain(steady::now() + milliseconds{2'000});
        }
        if (!failures_.empty()) settle_failures();
        producer_.reset();
    }
    shared_.abandoned_in_flight.store(abandoned);
    if (lease_held_) lease_.release();
    lease_held_ = false;
    shared_.lease_held.store(false);
    shared_.notify_progress();
}

}  // namespace domain_events::detail
