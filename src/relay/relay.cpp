#include "domain_events/relay/relay.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <random>

#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/storage/outbox.hpp"
#include "domain_events/publish/publisher.hpp"
#include "domain_events/kafka/topic_admin.hpp"
#include "kafka/kafka_conf.hpp"
#include "storage/outbox_schema.hpp"
#include "relay/relay_producer.hpp"
#include "relay/relay_state.hpp"
#include "relay/relay_worker.hpp"

namespace domain_events {
namespace {

std::string default_owner_id() {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0) host = {'h', 'o', 's', 't'};
    std::random_device random;
    char suffix[9];
    std::snprintf(suffix, sizeof suffix, "%08x", random());
    return std::string(host.data()) + ":" + std::to_string(getpid()) + ":" + suffix;
}

}  // namespace

void relay::state::check_broker_limits(topic_admin& admin) const noexcept {
    try {
        static_cast<void>(admin.broker_limit_problems());
    } catch (const std::exception& e) {
        log->warn("relay: could not read the brokers' message.max.bytes: {}", e.what());
    }
}

relay::relay(config settings, relay_options options) : state_(std::make_unique<state>()) {
    validate(settings);
    if (settings.kafka_enabled && settings.bootstrap_servers.empty()) {
        throw config_error("KAFKA_BOOTSTRAP_SERVERS='': the relay needs a broker address (or KAFKA_ENABLED=false)");
    }
    if (options.owner_id.empty()) options.owner_id = default_owner_id();
    state_->log = options.logger ? options.logger : library_logger();
    state_->producer_properties =
        detail::relay_producer_properties(settings.bootstrap_servers, options.linger,
                                          settings.validation.max_payload_bytes, settings.kafka_properties);
    state_->settings = std::move(settings);
    state_->options = std::move(options);
    // Let librdkafka check every property now, so a typo fails here and not on the thread.
    if (state_->settings.kafka_enabled) static_cast<void>(detail::make_kafka_conf(state_->producer_properties, "relay"));
}

relay::~relay() { stop(); }

void relay::start() {
    auto& s = *state_;
    std::lock_guard lifecycle(s.lifecycle_mutex);
    if (s.worker.joinable()) throw usage_error("relay.start: relay " + s.options.owner_id + " is already started");
    {
        std::lock_guard lock(s.query_mutex);
        if (!s.query_db) {
            // Another application's file is refused before it is opened for writing (which
            // would switch it to WAL); an outbox of an earlier version is migrated.
            detail::require_outbox_database(s.settings.database_path);
            s.query_db = std::make_unique<database>(s.settings.database_path);
            outbox::install(*s.query_db);
        }
    }
    if (!s.settings.kafka_enabled) {
        s.log->warn("relay: Kafka is disabled (KAFKA_ENABLED=false); events stay in the outbox of {} until a relay "
                    "runs with Kafka enabled",
                    s.settings.database_path);
        return;
    }
    {
        std::lock_guard lock(s.query_mutex);
        outbox(*s.query_db).record_topic_prefix(topic_prefix_of(s.settings));
    }
    auto worker_db = std::make_unique<database>(s.settings.database_path);
    {
        std::lock_guard lock(s.mutex);
        s.stop_requested = false;
        s.wake_requested = false;
    }
    s.running.store(true);
    s.worker = std::thread([&s, db = std::move(worker_db)]() mutable {
        detail::relay_worker(s, std::move(db), s.options.owner_id).run();
        s.running.store(false);
    });
}

bool relay::stop(std::chrono::milliseconds timeout) {
    auto& s = *state_;
    std::lock_guard lifecycle(s.lifecycle_mutex);
    if (!s.worker.joinable()) return true;
    {
        std::lock_guard lock(s.mutex);
        s.stop_requested = true;
        s.stop_deadline = std::chrono::steady_clock::now() + timeout;
    }
    s.wake_cv.notify_all();
    s.worker.join();
    return !s.abandoned_in_flight.load();
}

void relay::wake() noexcept {
    {
        std::lock_guard lock(state_->mutex);
        state_->wake_requested = true;
    }
    state_->wake_cv.notify_all();
}

scoped_connection relay::wake_on_commit(publisher& p) {
    return scoped_connection(p.events_committed().connect([this] { wake(); }));
}

bool relay::wait_until_published(std::chrono::milliseconds timeout) {
    auto& s = *state_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // The query connection is locked per query, not across the wait: counters() stays available.
    const auto query = [&s](auto&& ask) {
        std::lock_guard query_lock(s.query_mutex);
        if (!s.query_db) throw usage_error("relay.wait_until_published: relay " + s.options.owner_id + " was never started");
        outbox box(*s.query_db);
        return ask(box);
    };
    const auto target = query([](outbox& box) { return box.last_position(); });
    while (true) {
        std::uint64_t seen_progress = 0;
        {
            std::lock_guard lock(s.mutex);
            seen_progress = s.progress_seq;
        }
        if (!query([target](outbox& box) { return box.pending_through(target); })) {
            std::lock_guard counted(s.mark_mutex);  // the counters include what the query saw
            return true;
        }
        std::unique_lock lock(s.mutex);
        // Progress of another relay process is only seen by polling, hence the bounded wait.
        const auto until = std::min(deadline, std::chrono::steady_clock::now() + s.settings.relay_poll_interval * 10);
        s.progress_cv.wait_until(lock, until, [&] { return s.progress_seq != seen_progress; });
        if (std::chrono::steady_clock::now() >= deadline) return false;
    }
}

relay_counters relay::counters() const {
    auto& s = *state_;
    relay_counters c;
    c.published = s.published.load();
    c.failed_attempts = s.failed_attempts.load();
    c.dead_lettered = s.dead_lettered.load();
    c.rewinds = s.rewinds.load();
    c.producer_recreations = s.producer_recreations.load();
    c.lease_held = s.lease_held.load();
    c.consecutive_failures = s.consecutive_failures.load();
    c.commit_to_ack = s.commit_to_ack.snapshot();
    {
        std::lock_guard lock(s.mutex);
        c.last_error = s.last_error;
    }
    std::lock_guard lock(s.query_mutex);
    if (s.query_db) {
        const auto counts = outbox(*s.query_db).counts(now_ms());
        c.pending = counts.pending;
        c.oldest_pending_age = counts.oldest_pending_age;
    }
    return c;
}

bool relay::running() const noexcept { return state_->running.load(); }

const std::string& relay::owner_id() const noexcept { return state_->options.owner_id; }

}  // namespace domain_events
