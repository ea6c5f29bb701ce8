#include "domain_events/consume/consumer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain_events/storage/database.hpp"
#include "domain_events/consume/dead_letter_topic_headers.hpp"
#include "domain_events/error.hpp"
#include "domain_events/event.hpp"
#include "domain_events/consume/idempotency_store.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/storage/outbox.hpp"
#include "domain_events/consume/subscription.hpp"
#include "domain_events/kafka/topic_admin.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "kafka/kafka_conf.hpp"
#include "kafka/backoff.hpp"
#include "kafka/retry_pacer.hpp"
#include "publish/sensitive_scan.hpp"
#include "consume/background_run.hpp"
#include "consume/crash_journal.hpp"
#include "consume/dead_letter_producer.hpp"
#include "consume/group_member.hpp"
#include "consume/handler_context.hpp"
#include "consume/message_check.hpp"
#include "consume/missing_topics_refresher.hpp"
#include "consume/parse_ahead.hpp"

namespace domain_events {
namespace {

using clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds poll_timeout{100};  // how soon stop() and the limits are noticed
// A burst is read ahead and parsed while the previous one is applied. Its size follows the time
// an event took to apply, so a burst takes about `burst_apply_target`: between two polls (which
// serve rebalances and refresh the lag) there is at most that or one slow event, as there was
// before reading ahead.
constexpr std::size_t read_burst_max = 256;
constexpr std::chrono::milliseconds burst_apply_target{10};
// The idempotency records are swept for old ones a slice at a time (a transaction each, so
// writers never wait long): after every half slice of applied events, so that the sweep examines
// twice as many records as are added and passes over the whole table at least once per half
// of the time a record is kept; and at least once a minute.
constexpr std::size_t sweep_slice = 5'000;
constexpr std::chrono::seconds sweep_interval{60};
constexpr std::chrono::seconds dead_letter_timeout{30};
// Room in the dead-letter topic's max.message.bytes beyond the value: key, headers, framing.
constexpr std::size_t dead_letter_headroom = 64 * 1024;

void check_options(const config& settings, const consumer_options& o) {
    std::string problems;
    const auto add = [&](const std::string& problem) { problems += (problems.empty() ? "" : "\n") + problem; };
    if (o.group_id.empty()) add("consumer_options.group_id: empty; name the consumer group");
    if (o.database_path.empty()) add("consumer_options.database_path: empty; name the consumer's SQLite file");
    if (o.max_handler_attempts < 1) {
        add("consumer_options.max_handler_attempts=" + std::to_string(o.max_handler_attempts) + ": must be >= 1");
    }
    if (o.crash_limit < 0) add("consumer_options.crash_limit=" + std::to_string(o.crash_limit) + ": must be >= 0 (0: never)");
    if (o.dead_letter_attempts < 1) {
        add("consumer_options.dead_letter_attempts=" + std::to_string(o.dead_letter_attempts) + ": must be >= 1");
    }
    if (o.commit_interval.count() <= 0) add("consumer_options.commit_interval: must be positive");
    if (o.max_batch_events < 1) add("consumer_options.max_batch_events=0: must be >= 1 (1: a transaction per event)");
    if (o.max_batch_delay.count() < 0) {
        add("consumer_options.max_batch_delay=" + std::to_string(o.max_batch_delay.count()) + "ms: must be >= 0");
    }
    if (o.lock_wait.count() <= 0) {
        add("consumer_options.lock_wait=" + std::to_string(o.lock_wait.count()) + "ms: must be positive");
    }
    if (o.idle_exit.count() < 0) add("consumer_options.idle_exit: must be >= 0 (0: never)");
    if (o.dedupe_retention.count() <= 0) add("consumer_options.dedupe_retention: must be positive");
    if (o.stall_after.count() <= 0) add("consumer_options.stall_after: must be positive");
    if (o.dead_letter_max_bytes == 0) add("consumer_options.dead_letter_max_bytes: must be positive");
    if (auto problem = detail::missing_topic_refresh_problem(o.missing_topic_refresh)) add(*problem);
    if (!settings.kafka_enabled) add("KAFKA_ENABLED=false: a consumer needs Kafka");
    if (settings.bootstrap_servers.empty()) add("KAFKA_BOOTSTRAP_SERVERS='': the consumer needs a broker address");
    if (!problems.empty()) throw config_error(problems);
}

// Beside the database, as SQLite's own -wal and -shm: none for a database in memory.
std::string crash_journal_path(const std::string& database_path) {
    if (database_path.empty() || database_path == ":memory:" || database_path.starts_with("file:")) return {};
    return database_path + "-crashes";
}

}  // namespace

struct consumer::impl {
    impl(config s, consumer_options o)
        : settings((validate(s), check_options(s, o), std::move(s))),
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
        static_cast<void>(detail::dead_letter_producer_properties(settings.bootstrap_servers, dead_letter_record_limit(),
                                                                  settings.kafka_properties));  // its pins refuse now
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
    std::unordered_map<std::string, event_handler> handlers;
    event_handler fallback;

    // Shared with other threads: stop() and counters().
    std::atomic<bool> stop_requested{false};
    std::atomic<bool> running{false};
    std::atomic<bool> ran{false};    // run() or start() was called: a consumer runs once
    std::atomic<bool> ended{false};  // and its run has returned
    std::atomic<bool> failed{false};
    std::mutex wait_mutex;
    std::condition_variable wake;
    struct atomic_counters {
        std::atomic<std::uint64_t> applied{0}, duplicates{0}, dead_lettered{0}, skipped{0}, handler_retries{0};
    } counted;
    detail::group_member_counters member_counters;
    latency_histogram handler_latency;

    // Only on the run() thread (the revoke callback runs inside poll(), on it too).
    // The open batch: one transaction, the messages it covers (kept to apply them again after a
    // rollback) and their offsets, stored only after it committed. Declared before `member`,
    // whose revoke callback finishes it.
    struct batch_item {
        detail::kafka_message message;
        std::optional<event> parsed;              // given to a handler: applied or duplicate
        const event_handler* handler = nullptr;   // null: skipped
        bool applied = false;
    };
    struct open_batch {
        std::optional<transaction> tx;
        clock::time_point started;
        std::vector<batch_item> items;  // in the order read
        detail::offset_batch offsets;
        std::uint64_t applied = 0, duplicates = 0;  // counted once committed
        // Events go straight into the batch's transaction. After a handler threw in this batch,
        // each event gets a savepoint of its own until the loop ends the batch (see apply).
        bool careful = false;
    } batch;
    std::exception_ptr revoke_failure;  // from finishing the batch inside the revoke callback
    bool stored_since_commit = false;
    std::unique_ptr<detail::group_member> member;  // replaced under member_mutex (wait_until_caught_up reads it)
    mutable std::mutex member_mutex;
    std::unique_ptr<detail::dead_letter_producer> dead_letters;
    // Borrows `member` while it looks: stopped before the member closes or is replaced.
    detail::missing_topics_refresher new_topics{*log, options.group_id, options.missing_topic_refresh};
    // Read ahead: after `member`, so their messages go before the client they came from.
    std::unique_ptr<detail::parse_ahead> parser;
    std::vector<detail::parse_ahead::item> reading;                 // the burst being read
    std::vector<detail::topic_partition> revoked_while_parsing;     // filtered from the parsed burst
    std::size_t burst_limit = 1;          // until an event's apply time is known
    clock::duration apply_cost{};         // per event, smoothed over the last bursts
    std::uint64_t handled = 0;
    std::uint64_t applied_at_last_sweep = 0;
    clock::time_point last_sweep{};
    std::uint64_t pruned_unlogged = 0;  // logged at most once a sweep_interval
    clock::time_point pruned_logged{};

    enum class outcome { done, abandoned };

    /** @throws usage_error when the consumer has run (or was started) before. */
    void claim_the_run(const char* by);
    consumer_counters run_to_end();

    // What wait_until_caught_up waits for: each assigned partition's end, asked of its leader now
    // (the lag's cached ends may trail what was produced just before the call). Partitions with
    // nothing to read are left out. Nullopt until something is assigned and every leader answered.
    std::optional<std::vector<detail::catch_up_target>> catch_up_targets(clock::time_point deadline) const {
        std::lock_guard lock(member_mutex);
        if (!member) return std::nullopt;
        auto assignment = member_counters.progress.assignment();
        if (assignment.empty()) return std::nullopt;
        std::vector<detail::catch_up_target> targets;
        for (auto& tp : assignment) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0) return std::nullopt;
            const auto marks = member->query_watermarks(tp, left);
            if (!marks) return std::nullopt;
            if (marks->second > marks->first) targets.push_back({std::move(tp), marks->second});
        }
        return targets;
    }

    // A background run: the impl's last member, so that it is joined before the rest goes.
    detail::background_run background;

    consumer_counters snapshot() const {
        consumer_counters c;
        c.applied = counted.applied.load();
        c.duplicates = counted.duplicates.load();
        c.dead_lettered = counted.dead_lettered.load();
        c.skipped = counted.skipped.load();
        c.handler_retries = counted.handler_retries.load();
        c.rebalances = member_counters.rebalances.load();
        c.commits = member_counters.commits.load();
        c.handler_latency = handler_latency.snapshot();
        return c;
    }

    // Sleeps `pause` unless stop() comes first; true when stopped.
    bool wait_or_stop(std::chrono::milliseconds pause) {
        std::unique_lock lock(wait_mutex);
        return wake.wait_for(lock, pause, [&] { return stop_requested.load(); });
    }

    // A new member of the group, subscribed: at the start, and again after a storage failure.
    void join_group() {
        new_topics.stop();  // it borrows the member being replaced
        auto joining = std::make_unique<detail::group_member>(member_properties, *log, member_counters);
        {
            std::lock_guard lock(member_mutex);
            member = std::move(joining);
        }
        member->on_revoke([this](const std::vector<detail::topic_partition>& revoked) { before_revoke(revoked); });
        member->subscribe(topics.topics());
        std::vector<std::string> handled_types;
        for (const auto& entry : handlers) handled_types.push_back(entry.first);
        new_topics.start(*member, detail::expect_topics(topics, topic_prefix_of(settings), settings.routing, handled_types));
    }

    void ensure_dead_letter_topic() {
        // Best effort: on a broker with auto-creation off the dead letters need their topic;
        // the mock cluster has no Admin API and creates it on first use.
        const auto dlq = dead_letter_topic(topic_prefix_of(settings));
        // A dead letter may be larger than any event the topics accept: the value it keeps (up to
        // dead_letter_max_bytes, whatever a producer sent) and its story in headers.
        auto dlq_settings = settings;
        dlq_settings.validation.max_payload_bytes = dead_letter_record_limit();
        try {
            topic_admin admin(dlq_settings, std::chrono::seconds{10}, log);
            const auto report = admin.ensure(topic_spec{dlq, settings.topics});
            log->debug("consumer {}: dead-letter topic {}: {}", options.group_id, dlq, to_string(report.outcome));
        } catch (const error& e) {
            log->warn("consumer {}: could not ensure the dead-letter topic {}: {}", options.group_id, dlq, e.what());
        }
    }

    // The dead-letter topic's max.message.bytes and its producer's message.max.bytes.
    [[nodiscard]] std::size_t dead_letter_record_limit() const noexcept {
        return std::max(settings.validation.max_payload_bytes, options.dead_letter_max_bytes + dead_letter_headroom);
    }

    // Sends `m` to the dead-letter topic and waits for Kafka's acknowledgement.
    outcome dead_letter(const rd_kafka_message_t& m, dead_letter_reason reason, const std::string& full_error_text,
                        int attempts) {
        const auto error_text = detail::cut_text(full_error_text);
        // Whatever the original's key and headers hold, the dead letter fits its topic.
        const detail::dead_letter_record record(m, {reason, error_text, options.group_id, attempts},
                                                options.dead_letter_max_bytes, dead_letter_record_limit());

        detail::backoff pause(options.initial_backoff, options.max_backoff);
        for (int attempt = 1;; ++attempt) {
            const auto result = dead_letters->send(record, dead_letter_timeout);
            if (result == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            const auto text = detail::kafka_error_text(result);
            if (attempt >= options.dead_letter_attempts) {
                throw publish_error("consumer " + options.group_id + ": dead letter for " + rd_kafka_topic_name(m.rkt) +
                                        "[" + std::to_string(m.partition) + "]@" + std::to_string(m.offset) +
                                        " not delivered to " + dead_letters->topic() + " after " +
                                        std::to_string(attempt) + " attempts: " + text,
                                    result);
            }
            log->warn("consumer {}: dead letter not delivered ({}), retrying", options.group_id, text);
            if (wait_or_stop(pause.next())) return outcome::abandoned;
        }
        ++counted.dead_lettered;
        member_counters.progress.error("dead-lettered " + std::string(rd_kafka_topic_name(m.rkt)) + "[" +
                                       std::to_string(m.partition) + "]@" + std::to_string(m.offset) + ": " +
                                       std::string(to_string(reason)) + ": " + error_text);
        log->warn("consumer {}: {}[{}]@{} dead-lettered to {}: {}: {}", options.group_id, rd_kafka_topic_name(m.rkt),
                  m.partition, m.offset, dead_letters->topic(), to_string(reason), error_text);
        return outcome::done;
    }

    const event_handler* handler_for(const std::string& event_type) const {
        if (const auto found = handlers.find(event_type); found != handlers.end()) return &found->second;
        return fallback ? &fallback : nullptr;
    }

    [[nodiscard]] bool batch_open() const noexcept { return !batch.items.empty() || batch.tx.has_value(); }

    // Marks the start of the batch when nothing is open yet.
    void touch_batch() {
        if (!batch_open()) batch.started = clock::now();
    }

    // The item's message is finished inside the batch: its offset is stored once the batch committed.
    void add_to_batch(batch_item item) {
        touch_batch();
        if (item.handler != nullptr) ++(item.applied ? batch.applied : batch.duplicates);
        batch.offsets.add(*item.message);
        batch.items.push_back(std::move(item));
    }

    // The open batch's messages will be read again (it failed to commit): not dealt with yet.
    void uncount_batch() noexcept { handled -= std::min<std::uint64_t>(handled, batch.items.size()); }

    // After the loop failed: what was read ahead and the open batch are dropped (rolled back, none
    // of their offsets stored: they come again), and the member leaves the group, committing what
    // was stored (every stored offset is of a committed event).
    void leave_after_failure() noexcept {
        drop_read_ahead_after_failure();
        uncount_batch();
        drop_batch();
        new_topics.stop();
        member->close();
    }

    // Forgets the open batch; its transaction, if any, rolls back. Nothing of it was stored.
    void drop_batch() noexcept {
        batch.tx.reset();
        batch.items.clear();
        batch.offsets.clear();
        batch.applied = batch.duplicates = 0;
    }

    // The loop ends a batch (due, queue empty, sweep, stop): the next one starts without savepoints.
    void end_batch() {
        finish_batch();
        batch.careful = false;
    }

    // Commits the open batch, then counts it, runs the after_commit hook for each applied event
    // and stores the batch's offsets: an offset is never stored before its event committed.
    void finish_batch() {
        if (!batch_open()) return;
        try {
            if (batch.tx && batch.applied > 0) {
                batch.tx->commit();
                storage_retries.recovered(clock::now());
            } else {
                batch.tx.reset();  // duplicates and failed attempts only: nothing to keep
            }
            counted.applied += batch.applied;
            counted.duplicates += batch.duplicates;
            if (options.after_commit) {
                for (const auto& item : batch.items) {
                    if (item.applied) options.after_commit(*item.parsed);
                }
            }
            stored_since_commit = member->store_offsets(batch.offsets) || stored_since_commit;
        } catch (...) {
            uncount_batch();
            drop_batch();
            throw;
        }
        drop_batch();
    }

    static bool read_from(const detail::parse_ahead::item& i, const std::vector<detail::topic_partition>& partitions) {
        const detail::topic_partition tp{rd_kafka_topic_name(i.message->rkt), i.message->partition};
        return std::find(partitions.begin(), partitions.end(), tp) != partitions.end();
    }

    // Inside poll(), before a revoke commits the stored offsets. Must not throw into librdkafka:
    // a failure is kept and rethrown by the loop once poll() returns.
    // What was read ahead from the revoked partitions is dropped, not applied: its offsets were
    // never stored, so their next owner reads it (and an eager rebalance that gives them back
    // resumes from the committed offsets). The burst being parsed is filtered when it returns.
    void before_revoke(const std::vector<detail::topic_partition>& revoked) noexcept {
        try {
            finish_batch();
            std::erase_if(reading, [&revoked](const auto& i) { return read_from(i, revoked); });
            if (parser->busy()) revoked_while_parsing.insert(revoked_while_parsing.end(), revoked.begin(), revoked.end());
        } catch (...) {
            if (!revoke_failure) revoke_failure = std::current_exception();
        }
    }

    // The parsed burst, without what a revoke during its parsing took away.
    std::vector<detail::parse_ahead::item> take_parsed() {
        auto parsed = parser->finish();
        if (!revoked_while_parsing.empty()) {
            std::erase_if(parsed, [this](const auto& i) { return read_from(i, revoked_while_parsing); });
            revoked_while_parsing.clear();
        }
        return parsed;
    }

    // BEGIN IMMEDIATE for the batch. SQLite's lock is not fair: a replica whose batches follow
    // each other can take it again before a waiting one looks, for as long as its backlog lasts.
    // So a wait that outlasts lock_wait is logged and waited again, never thrown: a locked
    // database delays this consumer, it does not stop it. False when stop() came meanwhile.
    bool begin_batch() {
        touch_batch();
        for (auto waited = std::chrono::milliseconds{0};; waited += options.lock_wait) {
            try {
                batch.tx.emplace(db);
                return true;
            } catch (const storage_error& e) {
                if (!e.busy()) throw;
            }
            const auto why = "SQLite's write lock on '" + options.database_path + "' held by another writer for " +
                             std::to_string((waited + options.lock_wait).count()) + " ms";
            log->warn("consumer {}: {}; still waiting", options.group_id, why);
            member_counters.progress.error(why);
            if (stop_requested.load()) return false;
        }
    }

    // One attempt in the batch's open transaction: the event's record and the handler's effects are
    // kept together or rolled back together. Directly in the transaction while the batch is not
    // careful (a failure then leaves the batch to roll back, see apply); in a savepoint of its
    // own when it is. Our own SQLite failures propagate (they are not the event's fault); the
    // handler's are returned.
    // `deaths`: how often the process already died applying `m` (crash_journal).
    std::optional<std::string> attempt(const rd_kafka_message_t& m, const event& e, const event_handler& handler,
                                       std::uint32_t deaths, bool& duplicate) {
        std::optional<transaction> event_scope;
        if (batch.careful) event_scope.emplace(db);  // SAVEPOINT
        if (!store.record(e.event_id, now_ms().time_since_epoch().count())) {
            duplicate = true;  // recorded earlier, or earlier in this very batch
            if (event_scope) event_scope->commit();  // nothing was written in it
            return std::nullopt;
        }
        const auto started = clock::now();
        try {
            // A death while the handler runs is charged to m; returning or throwing is surviving it.
            const auto charged = journal.applying(rd_kafka_topic_name(m.rkt), m.partition, m.offset, deaths);
            const publish_scope continued(detail::handler_context(e));  // what it publishes follows from e
            handler(e, db);
        } catch (const storage_error& failure) {
            // A full disk or a read-only file fails every event alike: the consumer's failure
            // (it backs off and tries again), not this event's (which would be dead-lettered).
            if (failure.database_fault()) throw;
            return detail::cut_text(failure.what());
        } catch (const std::exception& failure) {
            // event_scope, if any, rolls back: record and effects. Cut: the text is the handler's
            // (it may quote the event), and goes to a log line per attempt and to the status.
            return detail::cut_text(failure.what());
        } catch (...) {
            return std::string("the handler threw something that is not a std::exception");
        }
        if (event_scope) event_scope->commit();  // RELEASE: kept in the batch, committed with it
        handler_latency.record(std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started));
        return std::nullopt;
    }

    // A handler threw with no savepoint around it: its partial writes are in the batch's
    // transaction. Roll the whole batch back and apply its events again, each in a savepoint
    // now, so the failure that follows undoes only the failing event. Their handlers run a second
    // time; only what they wrote through `db` counts, and that was rolled back.
    outcome apply_again_carefully() {
        auto earlier = std::exchange(batch.items, {});
        drop_batch();
        batch.careful = true;
        for (auto& item : earlier) {
            if (item.handler == nullptr) {
                add_to_batch(std::move(item));
                continue;
            }
            // It ran in this process without killing it: no deaths are charged to it.
            if (apply(std::move(item.message), std::move(*item.parsed), *item.handler, 0) == outcome::abandoned) {
                return outcome::abandoned;  // the rest was not stored: read again after a restart
            }
        }
        return outcome::done;
    }

    // Sends `m` to the dead letters after committing the open batch (the wait for Kafka never
    // holds SQLite's write lock, and offsets stay in order), then stores its offset.
    outcome dead_letter_now(const rd_kafka_message_t& m, dead_letter_reason reason, const std::string& error_text,
                            int attempts) {
        finish_batch();
        const auto result = dead_letter(m, reason, error_text, attempts);
        if (result == outcome::done) stored_since_commit = member->store_offset(m) || stored_since_commit;
        return result;
    }

    outcome apply(detail::kafka_message m, event&& e, const event_handler& handler, std::uint32_t deaths) {
        std::optional<detail::backoff> retry_backoff;  // made on the first failure: it seeds a random device
        for (int attempt_number = 1;; ++attempt_number) {
            if (!batch.tx && !begin_batch()) return outcome::abandoned;  // not stored: read again after a restart
            bool duplicate = false;
            const bool in_savepoint = batch.careful;
            const auto failure = attempt(*m, e, handler, deaths, duplicate);
            if (!failure) {
                if (duplicate) log->debug("consumer {}: event {} already applied; skipped", options.group_id, e.event_id);
                add_to_batch(batch_item{std::move(m), std::move(e), &handler, !duplicate});
                return outcome::done;
            }
            if (!in_savepoint && apply_again_carefully() == outcome::abandoned) return outcome::abandoned;
            // The earlier events of the batch are kept: commit them (and store their offsets)
            // before pausing or dead-lettering, so the write lock is not held meanwhile.
            finish_batch();
            if (attempt_number >= options.max_handler_attempts) {
                return dead_letter_now(*m, dead_letter_reason::handler_failed, *failure, attempt_number);
            }
            ++counted.handler_retries;
            member_counters.progress.error("handler for " + e.event_type + " event " + e.event_id + ": " + *failure);
            if (!retry_backoff) retry_backoff.emplace(options.initial_backoff, options.max_backoff);
            const auto pause = retry_backoff->next();
            log->warn("consumer {}: handler for {} event {} failed (attempt {} of {}), retrying in {} ms: {}",
                      options.group_id, e.event_type, e.event_id, attempt_number, options.max_handler_attempts,
                      pause.count(), *failure);
            if (wait_or_stop(pause)) return outcome::abandoned;  // not stored: read again after a restart
        }
    }

    // Why `e` does not belong in `topic`, unless the consumer accepts that: a producer that put
    // it there by mistake would otherwise reach the handlers of another type, unnoticed.
    std::optional<std::string> topic_mismatch(std::string_view topic, const event& e) const {
        if (options.accept_topic_mismatch) return std::nullopt;
        const auto expected = topic_for(topic_prefix_of(settings), settings.routing, e.event_type, e.aggregate_type);
        if (expected == topic) return std::nullopt;
        // The names passed the envelope rules (lower-case words), but their length is the producer's.
        return "event_type '" + e.event_type.substr(0, 200) + "' (aggregate_type '" + e.aggregate_type.substr(0, 200) +
               "') routes to '" + expected.substr(0, 400) + "', not to '" + std::string(topic) + "' where it was found";
    }

    // Deals with one message: applied, duplicate or skipped join the open batch; bad input is
    // dead-lettered at once.
    outcome process(detail::kafka_message m, detail::checked_message checked) {
        if (checked.problem) return dead_letter_now(*m, checked.problem->reason, checked.problem->text, 0);
        auto& e = *checked.parsed;
        if (auto mismatch = topic_mismatch(rd_kafka_topic_name(m->rkt), e)) {
            return dead_letter_now(*m, dead_letter_reason::topic_mismatch, *mismatch, 0);
        }
        const event_handler* handler = topics.matches(e.event_type) ? handler_for(e.event_type) : nullptr;
        if (handler == nullptr) {
            ++counted.skipped;
            log->debug("consumer {}: {} event {} not subscribed or without a handler; skipped", options.group_id,
                       e.event_type, e.event_id);
            add_to_batch(batch_item{std::move(m), std::nullopt, nullptr, false});
            return outcome::done;
        }
        // Another producer (another language, a script) may not keep sensitive fields out.
        try {
            sensitive.visit(e.data, "data");
        } catch (const validation_error& found) {
            return dead_letter_now(*m, dead_letter_reason::sensitive_data, found.what(), 0);
        }
        // The process died while a handler ran on this very message, crash_limit times in a row:
        // running it again would only die again, and the group would never get past it.
        const std::string_view topic = rd_kafka_topic_name(m->rkt);
        const auto deaths = journal.deaths(topic, m->partition, m->offset);
        if (deaths > 0 && std::cmp_greater_equal(deaths, options.crash_limit)) {
            journal.forget(topic, m->partition);
            const auto why = "the consumer process died " + std::to_string(deaths) +
                             " times in a row while applying this message (crash_limit " +
                             std::to_string(options.crash_limit) + ")";
            log->error("consumer {}: {} event {}: {}; dead-lettered", options.group_id, e.event_type, e.event_id, why);
            return dead_letter_now(*m, dead_letter_reason::crashed_consumer, why, static_cast<int>(deaths));
        }
        if (deaths > 0) {
            log->warn("consumer {}: the last {} process(es) died applying {} event {}; trying it again ({} of {})",
                      options.group_id, deaths, e.event_type, e.event_id, deaths + 1, options.crash_limit);
        }
        return apply(std::move(m), std::move(e), *handler, deaths);
    }

    [[nodiscard]] bool sweep_due(clock::time_point now) const noexcept {
        return counted.applied.load() - applied_at_last_sweep >= sweep_slice / 2 || now - last_sweep >= sweep_interval;
    }

    // One slice of the sweep for idempotency records older than dedupe_retention.
    void sweep() {
        applied_at_last_sweep = counted.applied.load();
        last_sweep = clock::now();
        const auto cutoff = now_ms() - options.dedupe_retention;
        try {
            pruned_unlogged += store.sweep(cutoff.time_since_epoch().count(), sweep_slice).deleted;
            if (pruned_unlogged > 0 && last_sweep - pruned_logged >= sweep_interval) {
                log->info("consumer {}: pruned {} idempotency records", options.group_id, pruned_unlogged);
                pruned_unlogged = 0;
                pruned_logged = last_sweep;
            }
        } catch (const storage_error& e) {
            if (!e.busy()) throw;
            log->warn("consumer {}: pruning idempotency records put off to the next slice: {}", options.group_id,
                      e.what());
        }
    }

    [[nodiscard]] bool max_events_reached() const noexcept {
        return options.max_events > 0 && handled >= options.max_events;
    }

    bool limits_reached(clock::time_point last_message) const {
        if (max_events_reached()) return true;
        return options.idle_exit.count() > 0 && clock::now() - last_message >= options.idle_exit;
    }

    [[nodiscard]] bool batch_due(clock::time_point now) const noexcept {
        return batch_open() && (batch.items.size() >= options.max_batch_events || now - batch.started >= options.max_batch_delay);
    }

    // Reads what librdkafka already holds, up to a burst, into `reading`; waits up to `timeout`
    // for the first message. Consumer errors (unknown topic, broker down, PARTITION_EOF) are
    // informational: librdkafka retries, and the events are still there to read.
    void read_burst(std::chrono::milliseconds timeout) {
        while (reading.size() < burst_limit) {
            auto message = member->poll(reading.empty() ? timeout : std::chrono::milliseconds{0});
            if (revoke_failure) std::rethrow_exception(std::exchange(revoke_failure, nullptr));
            if (!message) return;
            if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    const auto text = detail::kafka_error_text(message->err);
                    if (message->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && message->rkt != nullptr) {
                        new_topics.reported_unknown(rd_kafka_topic_name(message->rkt));  // logs it once
                    } else {
                        log->warn("consumer {}: {}", options.group_id, text);
                    }
                    member_counters.progress.error(text);
                }
                return;
            }
            reading.push_back({std::move(message), {}});
        }
    }

    void size_bursts(std::size_t events, clock::duration took) {
        const auto per_event = took / static_cast<clock::rep>(events);
        apply_cost = apply_cost == clock::duration::zero() ? per_event : (apply_cost * 3 + per_event) / 4;
        const auto fits = burst_apply_target / std::max(apply_cost, clock::duration{1});
        burst_limit = static_cast<std::size_t>(std::clamp<clock::rep>(fits, 1, read_burst_max));
    }

    // Each round reads the next burst, hands it to the parsing thread, and applies the burst
    // parsed in the round before, in the order read.
    void loop() {
        auto last_message = clock::now();
        auto last_commit = clock::now();
        while (!stop_requested.load() && !limits_reached(last_message)) {
            if (member->fatal_error()) {
                throw consume_error("consumer " + options.group_id + ": " + *member->fatal_error(),
                                    RD_KAFKA_RESP_ERR__FATAL);
            }
            const auto now = clock::now();
            if (batch_due(now)) end_batch();
            if (stored_since_commit && now - last_commit >= options.commit_interval) {
                member->commit_async();
                stored_since_commit = false;
                last_commit = now;
            }
            if (sweep_due(now)) {
                end_batch();  // a slice of the sweep is a transaction of its own
                sweep();
            }
            // With a batch open or a burst being parsed, take only what is already waiting: a
            // batch never waits for Kafka while holding SQLite's write lock.
            read_burst(batch_open() || parser->busy() ? std::chrono::milliseconds{0} : poll_timeout);
            auto parsed = take_parsed();
            if (!reading.empty()) {
                last_message = clock::now();
                parser->start(std::exchange(reading, {}));
            }
            if (parsed.empty()) {
                if (!parser->busy()) end_batch();  // nothing waiting and nothing in hand
                continue;
            }
            const auto applying_since = clock::now();
            for (auto& item : parsed) {
                if (stop_requested.load() || max_events_reached()) break;
                if (batch_due(clock::now())) end_batch();
                if (process(std::move(item.message), std::move(item.checked)) == outcome::abandoned) {
                    finish_batch();
                    return;
                }
                ++handled;
            }
            size_bursts(parsed.size(), clock::now() - applying_since);
        }
        finish_batch();  // stop, limits: the open batch commits before the offsets are
    }

    // What was read ahead and not applied is dropped: its offsets were never stored.
    void drop_read_ahead() {
        reading.clear();
        revoked_while_parsing.clear();
        static_cast<void>(parser->finish());
    }

    // As drop_read_ahead, while another failure is on its way out: one of the parsing thread's
    // own is logged, not thrown over it.
    void drop_read_ahead_after_failure() noexcept {
        try {
            drop_read_ahead();
        } catch (const std::exception& e) {
            log->error("consumer {}: parsing ahead failed too: {}", options.group_id, e.what());
        } catch (...) {
            log->error("consumer {}: parsing ahead failed too, with something that is not a std::exception",
                       options.group_id);
        }
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
    std::lock_guard lock(impl_->wait_mutex);
}

consumer& consumer::on(const std::string& event_type, event_handler handler) {
    if (impl_->running.load()) throw usage_error("consumer.on(" + event_type + "): the consumer is running");
    if (!handler) throw usage_error("consumer.on(" + event_type + "): empty handler");
    if (!impl_->topics.matches(event_type)) {
        throw config_error("consumer.on: event type '" + event_type + "' is not among the subscribed event types");
    }
    impl_->handlers[event_type] = std::move(handler);
    return *this;
}

consumer& consumer::otherwise(event_handler handler) {
    if (impl_->running.load()) throw usage_error("consumer.otherwise: the consumer is running");
    impl_->fallback = std::move(handler);
    return *this;
}

void consumer::impl::claim_the_run(const char* by) {
    if (ran.exchange(true)) {
        throw usage_error(std::string("consumer.") + by + ": consumer " + options.group_id +
                          " has run already; make a new one");
    }
}

consumer_counters consumer::run() {
    impl_->claim_the_run("run");
    return impl_->run_to_end();
}

consumer_counters consumer::impl::run_to_end() {
    auto& s = *this;
    s.running.store(true);
    struct running_flag {
        impl& s;
        ~running_flag() {
            s.running.store(false);
            s.ended.store(true);
        }
    } clear_running{s};

    s.ensure_dead_letter_topic();
    s.dead_letters = std::make_unique<detail::dead_letter_producer>(
        detail::dead_letter_producer_properties(s.settings.bootstrap_servers, s.dead_letter_record_limit(),
                                                s.settings.kafka_properties),
        dead_letter_topic(topic_prefix_of(s.settings)), *s.log);
    s.parser = std::make_unique<detail::parse_ahead>(
        json_bounds{s.settings.validation.max_payload_bytes, s.settings.validation.max_depth});
    s.join_group();
    s.log->info("consumer {}: subscribed to {} topic(s) for {} event type(s)", s.options.group_id,
                s.topics.topics().size(), s.topics.event_types().size());
    while (true) {
        try {
            s.sweep();
            s.loop();
            s.drop_read_ahead();
            break;
        } catch (const storage_error& e) {
            // Our own database failed (a full disk, a read-only file): the batch rolled back and
            // none of its offsets was stored. Leave the group (what was read comes again),
            // pause, growing with each failure, and join again: the consumer recovers by itself.
            s.leave_after_failure();
            const auto pause = s.storage_retries.failed(e.what(), std::chrono::steady_clock::now());
            s.member_counters.progress.error(e.what());
            if (s.wait_or_stop(pause)) break;
            s.join_group();
        } catch (...) {
            s.leave_after_failure();
            throw;
        }
    }
    s.new_topics.stop();
    s.member->close();
    const auto c = s.snapshot();
    s.log->info("consumer {}: stopped; applied {}, duplicates {}, dead-lettered {}, skipped {}", s.options.group_id,
                c.applied, c.duplicates, c.dead_lettered, c.skipped);
    return c;
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

void consumer::stop() noexcept {
    // Notified under the lock, so the destructor, which takes it, never destroys the condition
    // variable while a stop() on another thread is still using it.
    std::lock_guard lock(impl_->wait_mutex);
    impl_->stop_requested.store(true);
    impl_->wake.notify_all();
}

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
