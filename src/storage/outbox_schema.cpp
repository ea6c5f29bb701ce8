#include "storage/outbox_schema.hpp"
#include "storage/schema_versions.hpp"

#include <string>

#include "domain_events/storage/database.hpp"
#include "domain_events/error.hpp"

namespace domain_events::detail {
namespace {

// Version 1. Positions come from AUTOINCREMENT so they are never reused, even after retention
// deletes the newest rows: a relay that remembers a position can never skip a later row.
// Publishing never rewrites an event's row: it advances the watermark `published_through` in
// the stats row, below which every row is published or gone, so each relay query starts at the
// watermark and stays O(batch) however many published rows are retained. Version 1 also kept
// one row per published event for retention; version 2 replaces that with one row per batch.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE domain_events_outbox (
    position           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id           TEXT    NOT NULL,
    event_type         TEXT    NOT NULL,
    aggregate_type     TEXT    NOT NULL,
    aggregate_id       TEXT    NOT NULL,
    aggregate_version  INTEGER NOT NULL,
    correlation_id     TEXT,
    schema_version     TEXT    NOT NULL,
    payload            TEXT    NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT
);
CREATE TABLE domain_events_outbox_published (
    position        INTEGER PRIMARY KEY,
    published_at_ms INTEGER NOT NULL
);
CREATE INDEX domain_events_outbox_published_at ON domain_events_outbox_published (published_at_ms);
CREATE TABLE domain_events_outbox_stats (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    published         INTEGER NOT NULL,
    published_through INTEGER NOT NULL
);
INSERT INTO domain_events_outbox_stats (id, published, published_through) VALUES (1, 0, 0);
CREATE TABLE domain_events_dead_letters (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    original_position  INTEGER NOT NULL,
    event_id           TEXT    NOT NULL,
    event_type         TEXT    NOT NULL,
    aggregate_type     TEXT    NOT NULL,
    aggregate_id       TEXT    NOT NULL,
    aggregate_version  INTEGER NOT NULL,
    correlation_id     TEXT,
    schema_version     TEXT    NOT NULL,
    payload            TEXT    NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    dead_at_ms         INTEGER NOT NULL,
    attempts           INTEGER NOT NULL,
    error              TEXT    NOT NULL
);
-- One row: the relay that may publish, until when. Expiry is wall-clock ms, shared by every
-- process on the host; an empty owner means nobody.
CREATE TABLE domain_events_relay_lease (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    owner         TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
INSERT INTO domain_events_relay_lease (id, owner, expires_at_ms) VALUES (1, '', 0);
)sql";

// Version 2. The relay rewinds on any failure, so what Kafka acknowledged is a prefix of the
// queue: every row at or below the watermark is published, every row above it pending, and
// marking a batch costs one row in `domain_events_outbox_marks` (through which position, when)
// instead of one per event. The upgrade keeps the watermark, dated by its newest publication so
// retention errs on keeping rows; a row that version 1 marked above the watermark (acknowledged
// behind a gap) becomes pending again and is re-sent once, which consumers deduplicate.
constexpr const char* schema_v2 = R"sql(
CREATE TABLE domain_events_outbox_marks (
    through_position INTEGER PRIMARY KEY,
    published_at_ms  INTEGER NOT NULL
);
INSERT INTO domain_events_outbox_marks (through_position, published_at_ms)
SELECT s.published_through,
       coalesce((SELECT max(p.published_at_ms) FROM domain_events_outbox_published p
                 WHERE p.position <= s.published_through), 0)
FROM domain_events_outbox_stats s WHERE s.published_through > 0;
UPDATE domain_events_outbox_stats SET published = published -
    (SELECT count(*) FROM domain_events_outbox_published WHERE position > published_through);
DROP TABLE domain_events_outbox_published;
)sql";

// Version 3. The last version published of each aggregate, written in the transaction of each
// publish, so that the library can give the next one or refuse one out of order. The upgrade
// takes each aggregate's newest retained event; an aggregate without one accepts any version once.
constexpr const char* schema_v3 = R"sql(
CREATE TABLE domain_events_aggregate_versions (
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
) WITHOUT ROWID;
INSERT INTO domain_events_aggregate_versions (aggregate_type, aggregate_id, version)
SELECT aggregate_type, aggregate_id, max(aggregate_version) FROM domain_events_outbox GROUP BY 1, 2;
)sql";

// Version 4. Settings that every program opening the outbox must agree on, recorded by the
// first relay: today the topic prefix, so that `tail` and `topics` find the topics without
// being told, and a relay configured with another prefix is refused instead of splitting an
// aggregate's events over two sets of topics.
constexpr const char* schema_v4 = R"sql(
CREATE TABLE domain_events_outbox_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 5. The W3C trace context of each event (its `traceparent` and `tracestate`), sent by
// the relay as Kafka headers; the dead letters keep them too, so that a replay sends them again.
// Rows written before have none (NULL), as events published outside any trace.
constexpr const char* schema_v5 = R"sql(
ALTER TABLE domain_events_outbox ADD COLUMN traceparent TEXT;
ALTER TABLE domain_events_outbox ADD COLUMN tracestate TEXT;
ALTER TABLE domain_events_dead_letters ADD COLUMN traceparent TEXT;
ALTER TABLE domain_events_dead_letters ADD COLUMN tracestate TEXT;
)sql";

// migrations[i] brings the schema from version i to i + 1.
constexpr const char* migrations[] = {schema_v1, schema_v2, schema_v3, schema_v4, schema_v5};
constexpr int latest_version = static_cast<int>(std::size(migrations));

}  // namespace

std::optional<int> installed_outbox_version(database& db) {
    auto table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'domain_events_schema'");
    const bool has_table = table->step();
    if (!has_table) return std::nullopt;
    auto query = db.prepare("SELECT version FROM domain_events_schema WHERE component = 'outbox'");
    std::optional<int> version;
    if (query->step()) version = static_cast<int>(query->column_int64(0));
    return version;
}

void require_outbox_database(const std::string& path) {
    std::optional<int> version;
    try {
        database db(database_options{.path = path, .read_only = true});
        version = installed_outbox_version(db);
    } catch (const storage_error& e) {
        throw usage_error("'" + path + "' cannot be read as an SQLite database (" + e.what() + "); nothing was changed");
    }
    if (!version) {
        throw usage_error("'" + path + "' is not an outbox: it has no domain_events_schema table with an 'outbox' "
                          "entry (the application creates it through publisher or outbox::install); nothing was changed");
    }
    if (*version > latest_version) {
        throw usage_error("'" + path + "' holds outbox schema version " + std::to_string(*version) +
                          ", newer than this build's " + std::to_string(latest_version) + "; upgrade domain_events");
    }
}

void install_outbox_schema(database& db, int target_version) {
    if (target_version > latest_version) {
        throw usage_error("outbox schema version " + std::to_string(target_version) + " is unknown to this build");
    }
    db.atomic([&] {
        const int current = schema_version(db, "outbox");
        if (current > target_version) {
            throw error("outbox schema in '" + db.path() + "' is version " + std::to_string(current) +
                        ", newer than this build's " + std::to_string(target_version) + "; upgrade domain_events");
        }
        for (int version = current; version < target_version; ++version) db.execute(migrations[version]);
        record_schema_version(db, "outbox", target_version);
    });
}

}  // namespace domain_events::detail
