#include "domain_events/consume/consumer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "domain_events/storage/database.hpp"
#include "domain_events/error.hpp"
#include "domain_events/event.hpp"
#include "domain_events/consume/idempotency_store.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/consume/subscription.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "kafka/kafka_conf.hpp"
#include "kafka/retry_pacer.hpp"
#include "publish/sensitive_scan.hpp"
#include "consume/background_run.hpp"
#include "consume/consume_loop.hpp"
#include "consume/consumer_options_check.hpp"
#include "consume/consumer_tally.hpp"
#include "consume/crash_journal.hpp"
#include "consume/group_member.hpp"
#include "consume/message_dispatch.hpp"
#include "consume/missing_topics_refresher.hpp"
#include "consume/stop_request.hpp"

// The consumer's facade: what it shares between threads (settings, handlers, counters, the group
// member, stop()) and the run's start and end. The run itself is consume_loop.hpp's.
namespace domain_events {
namespace {

using clock = std::chrono::steady_clock;

// Beside the database, as SQLite's own -wal and -shm: none for a database in memory.
std::string crash_journal_path(const std::string& database_path) {
    if (database_path.empty() || database_path == ":memory:" || database_path.starts_with("file:")) return {};
    return database_path + "-crashes";
}

}  // namespace

struct consumer::impl {
    impl(config s, consumer_options o)
        : settings((validate(s), detail::check_consumer_options(s, o), std::move(s))),
          options(std::move(o)),
          log(options.logger ? options.logger : library_logger()),
          topics(options.event_types, topic_prefix_of(settings), settings.routing),
          member_properties(detail::group_member_properties(settings.bootstrap_servers, options.group_id,
                                                            options.from_beginning, settings.kafka_properties)),
          db(database_options{.path = options.database_path, .busy_timeout = options.lock_wait}),
          store(db, options.group_id),
          journal(options.crash_limit > 0 ? crash_journal_path(options.database_path) : std::string()) {
        // Let librdkafka check every property now, so a typo fails here and not in run().
        static_cast<void>(detail::make_kafka_conf(member_properties, "consumer"));
        apply_consumer_schema(db, options.schema);  // last: only a consumer that can run changes the file
    }

    config settings;
    consumer_options options;
    std::shared_ptr<spdlog::logger> log;
    subscription topics;
    std::map<std::string, std::string> member_properties;
    database db;
    idempotency_store store;
    detail::crash_journal journal;
    detail::retry_pacer storage_retries{*log, "consumer " + options.group_id, std::chrono::seconds{30},
                                        options.initial_backoff,
                                        std::max(options.max_backoff, std::chrono::milliseconds{30'000})};
    // Events from producers that are not this library: the same policy as at publish time.
    detail::sensitive_scan sensitive{settings.validation, nullptr, detail::refused_at_consumer};
    detail::handler_table handlers;

    // Shared with other threads: stop(), counters(), status(), wait_until_caught_up().
    detail::stop_request stopping;
    std::atomic<bool> running{false};
    std::atomic<bool> ran{false};    // run() or start() was called: a consumer runs once
    std::atomic<bool> ended{false};  // and its run has returned
    std::atomic<bool> failed{false};
    detail::consumer_tally tally;
    detail::group_member_counters member_counters;
    detail::group_membership membership;  // before new_topics and the loop, which borrow the member
    detail::missing_topics_refresher new_topics{*log, options.group_id, options.missing_topic_refresh};
    // A background run: the impl's last member, so that it is joined before the rest goes.
    detail::background_run background;

    /** @throws usage_error when the consumer has run (or was started) before. */
    void claim_the_run(const char* by) {
        if (ran.exchange(true)) {
            throw usage_error(std::string("consumer.") + by + ": consumer " + options.group_id +
                              " has run already; make a new one");
        }
    }

    consumer_counters run_to_end() {
        running.store(true);
        struct running_flag {
            impl& s;
            ~running_flag() {
                s.running.store(false);
                s.ended.store(true);
            }
        } clear_running{*this};
        detail::consume_loop({settings, options, log, topics, member_properties, db, store, journal, storage_retries,
                              sensitive, handlers, stopping, tally, member_counters, new_topics, membership})
            .run();
        const auto c = snapshot();
        log->info("consumer {}: stopped; applied {}, duplicates {}, dead-lettered {}, skipped {}", options.group_id,
                  c.applied, c.duplicates, c.dead_lettered, c.skipped);
        return c;
    }

    // What wait_until_caught_up waits for: each assigned partition's end, asked of its leader now
    // (the lag's cached ends may trail what was produced just before the call). Partitions with
    // nothing to read are left out. Nullopt until something is assigned and every leader answered.
    std::optional<std::vector<detail::catch_up_target>> catch_up_targets(clock::time_point deadline) const {
        std::lock_guard lock(membership.mutex);
        if (!membership.member) return std::nullopt;
        auto assignment = member_counters.progress.assignment();
        if (assignment.empty()) return std::nullopt;
        std::vector<detail::catch_up_target> targets;
        for (auto& tp : assignment) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0) return std::nullopt;
            const auto marks = membership.member->query_watermarks(tp, left);
            if (!marks) return std::nullopt;
            if (marks->second > marks->first) targets.push_back({std::move(tp), marks->second});
        }
        return targets;
    }

    consumer_counters snapshot() const {
        consumer_counters c;
        c.applied = tally.applied.load();
        c.duplicates = tally.duplicates.load();
        c.dead_lettered = tally.dead_lettered.load();
        c.skipped = tally.skipped.load();
        c.handler_retries = tally.handler_retries.load();
        c.rebalances = member_counters.rebalances.load();
        c.commits = member_counters.commits.load();
        c.handler_latency = tally.handler_latency.snapshot();
        return c;
    }
};

consumer::consumer(config settings, consumer_options options)
    : impl_(std::make_unique<impl>(std::move(settings), std::move(options))) {}

consumer::~consumer() {
    if (impl_->background.started()) {
        try {
            while (!stop(std::chrono::seconds{10})) {
                impl_->log->warn("consumer {}: waiting for its background run to end", impl_->options.group_id);
            }
        } catch (const std::exception& e) {
            impl_->log->error("consumer {}: its background run had failed: {}", impl_->options.group_id, e.what());
        } catch (...) {
            impl_->log->error("consumer {}: its background run had failed", impl_->options.group_id);
        }
    }
    // A stop() from another thread may still be inside its critical section: wait it out.
    impl_->stopping.settle();
}

consumer& consumer::on(const std::string& event_type, event_handler handler) {
    if (impl_->running.load()) throw usage_error("consumer.on(" + event_type + "): the consumer is running");
    if (!handler) throw usage_error("consumer.on(" + event_type + "): empty handler");
    if (!impl_->topics.matches(event_type)) {
        throw config_error("consumer.on: event type '" + event_type + "' is not among the subscribed event types");
    }
    impl_->handlers.by_type[event_type] = std::move(handler);
    return *this;
}

consumer& consumer::otherwise(event_handler handler) {
    if (impl_->running.load()) throw usage_error("consumer.otherwise: the consumer is running");
    impl_->handlers.fallback = std::move(handler);
    return *this;
}

consumer_counters consumer::run() {
    impl_->claim_the_run("run");
    return impl_->run_to_end();
}

void consumer::start() {
    impl_->claim_the_run("start");
    impl_->background.start([this] {
        try {
            static_cast<void>(impl_->run_to_end());
        } catch (const std::exception& e) {
            impl_->member_counters.progress.error(std::string("run() ended: ") + e.what());
            impl_->failed.store(true);
            impl_->log->error("consumer {}: stopped by a failure: {}", impl_->options.group_id, e.what());
            throw;
        }
    });
}

bool consumer::stop(std::chrono::milliseconds timeout) {
    stop();
    return impl_->background.finish(timeout);
}

bool consumer::wait_until_caught_up(std::chrono::milliseconds timeout) {
    const auto& s = *impl_;
    const auto deadline = clock::now() + timeout;
    constexpr std::chrono::milliseconds step{10};
    std::optional<std::vector<detail::catch_up_target>> targets;
    while (!(targets = s.running.load() ? s.catch_up_targets(deadline) : std::nullopt)) {
        // Not yet running (just started), or not yet assigned: wait; ended: it never will be.
        if (clock::now() >= deadline || s.ended.load()) return false;
        std::this_thread::sleep_for(step);
    }
    while (!detail::caught_up(*targets, s.member_counters.progress.take().partitions)) {
        if (clock::now() >= deadline || !s.running.load()) return false;
        std::this_thread::sleep_for(step);
    }
    return true;
}

void consumer::stop() noexcept { impl_->stopping.request(); }

consumer_counters consumer::counters() const { return impl_->snapshot(); }

consumer_status consumer::status() const {
    const auto& s = *impl_;
    auto progress = s.member_counters.progress.take();
    consumer_status status{.group_id = s.options.group_id,
                           .running = s.running.load(),
                           .failed = s.failed.load(),
                           .partitions = std::move(progress.partitions),
                           .counters = s.snapshot(),
                           .since_progress = progress.since_progress,
                           .missing_topics = s.new_topics.missing(),
                           .last_error = std::move(progress.last_error),
                           .last_error_at = progress.last_error_at};
    status.stalled = detail::is_stalled(status.running, status.partitions, progress.message_in_hand,
                                        status.since_progress, s.options.stall_after);
    return status;
}

const config& consumer::settings() const noexcept { return impl_->settings; }

const consumer_options& consumer::options() const noexcept { return impl_->options; }

}  // namespace domain_events
