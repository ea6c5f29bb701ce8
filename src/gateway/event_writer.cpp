#include "event_writer.hpp"

#include <bit>
#include <optional>

#include <domain_events/storage/database.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/storage/statement.hpp>

namespace domain_events::gateway {
namespace {

// The event ids clients chose, with a fingerprint of what each was sent with, kept beside the
// outbox (the outbox's own rows go with retention; these for `idempotency_retention`).
constexpr const char* event_ids_schema = R"sql(
CREATE TABLE IF NOT EXISTS domain_events_gateway_event_ids (
    event_id       TEXT    PRIMARY KEY,
    fingerprint    INTEGER NOT NULL,
    accepted_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS domain_events_gateway_event_ids_accepted_at
    ON domain_events_gateway_event_ids (accepted_at_ms);
)sql";

std::int64_t as_column(std::uint64_t fingerprint) noexcept { return std::bit_cast<std::int64_t>(fingerprint); }

std::optional<std::int64_t> known_fingerprint(database& db, const std::string& event_id) {
    auto query = db.prepare("SELECT fingerprint FROM domain_events_gateway_event_ids WHERE event_id = ?");
    query->bind_all(event_id);
    std::optional<std::int64_t> found;
    if (query->step()) found = query->column_int64(0);
    return found;
}

}  // namespace

struct event_writer::state {
    state(const config& settings, std::size_t max_batch)
        : setup(settings.database_path),
          schema_installed((outbox::install(setup), setup.execute(event_ids_schema), true)),
          events(setup, signals, settings),
          writes(database_options{.path = settings.database_path}, group_commit_options{.max_batch = max_batch}) {}

    database setup;  // installs the schemas; the publisher's set-up connection
    bool schema_installed;
    model_signals signals;  // the gateway publishes explicitly; no model sends on these
    publisher events;
    group_commit writes;

    // Inside the shared transaction, on whichever thread leads it.
    write_outcome write_one(database& db, incoming_event& in, time_point_ms now) {
        if (in.id_from_client) {
            if (const auto known = known_fingerprint(db, in.e.event_id)) {
                return *known == as_column(in.fingerprint) ? write_outcome::duplicate : write_outcome::conflict;
            }
        }
        in.e.aggregate_version = events.next_version(db, in.e.aggregate_type, in.e.aggregate_id);
        in.e = events.publish(db, std::move(in.e));
        if (in.id_from_client) {
            db.prepare("INSERT INTO domain_events_gateway_event_ids (event_id, fingerprint, accepted_at_ms) VALUES (?, ?, ?)")
                ->bind_all(in.e.event_id, as_column(in.fingerprint), now.time_since_epoch().count())
                .run();
        }
        return write_outcome::accepted;
    }
};

event_writer::event_writer(const config& settings, std::size_t max_batch)
    : state_(std::make_unique<state>(settings, max_batch)) {}

event_writer::~event_writer() = default;

void event_writer::write_later(std::vector<incoming_event> events, write_done done) {
    auto job = std::make_shared<write_result>();
    job->events = std::move(events);
    job->outcomes.reserve(job->events.size());
    state_->writes.post(
        [this, job](database& db) {
            job->outcomes.clear();  // the body runs once; cleared for clarity should it ever be retried
            const auto now = now_ms();
            for (auto& in : job->events) job->outcomes.push_back(state_->write_one(db, in, now));
        },
        [job, done = std::move(done)](std::exception_ptr failure) {
            job->failure = std::move(failure);
            if (job->failure) job->outcomes.clear();
            done(std::move(*job));
        });
}

std::size_t event_writer::forget_event_ids_before(std::chrono::system_clock::time_point cutoff, std::size_t max_rows) {
    const auto cutoff_ms = std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
    return state_->writes.run([&](database& db) {
        return static_cast<std::size_t>(
            db.prepare("DELETE FROM domain_events_gateway_event_ids WHERE event_id IN (SELECT event_id FROM "
                       "domain_events_gateway_event_ids WHERE accepted_at_ms < ? ORDER BY accepted_at_ms LIMIT ?)")
                ->bind_all(cutoff_ms, static_cast<std::int64_t>(max_rows))
                .run());
    });
}

publisher& event_writer::events() noexcept { return state_->events; }

group_commit_counters event_writer::counters() const { return state_->writes.counters(); }

}  // namespace domain_events::gateway
