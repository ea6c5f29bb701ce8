#include "domain_events/storage/outbox.hpp"

#include <string>
#include <utility>

#include "domain_events/storage/database.hpp"
#include "domain_events/error.hpp"
#include "storage/outbox_schema.hpp"

namespace domain_events {
namespace {

using std::chrono::milliseconds;

time_point_ms from_ms(std::int64_t ms) { return time_point_ms{milliseconds{ms}}; }
std::int64_t to_ms(time_point_ms t) { return t.time_since_epoch().count(); }

// Columns every event row carries, in outbox and dead letters alike (read by read_event_columns,
// followed there by created_at_ms, which a replay replaces).
constexpr std::string_view event_columns =
    "event_id, event_type, aggregate_type, aggregate_id, aggregate_version, correlation_id, schema_version, payload, "
    "traceparent, tracestate";

template <class Row>
void read_event_columns(const statement& q, int first, Row& row) {
    row.event_id = q.column_text(first);
    row.event_type = q.column_text(first + 1);
    row.aggregate_type = q.column_text(first + 2);
    row.aggregate_id = q.column_text(first + 3);
    row.aggregate_version = q.column_int64(first + 4);
    row.correlation_id = q.column_optional_text(first + 5);
    row.schema_version = q.column_text(first + 6);
    row.payload = q.column_text(first + 7);
    row.traceparent = q.column_optional_text(first + 8);
    row.tracestate = q.column_optional_text(first + 9);
    row.created_at = from_ms(q.column_int64(first + 10));
}

outbox_record read_record(const statement& q) {
    outbox_record r;
    r.position = q.column_int64(0);
    read_event_columns(q, 1, r);
    r.attempts = static_cast<int>(q.column_int64(12));
    r.next_attempt_at = from_ms(q.column_int64(13));
    r.last_error = q.column_optional_text(14);
    return r;
}

outbox_dead_letter read_dead_letter(const statement& q) {
    outbox_dead_letter d;
    d.id = q.column_int64(0);
    d.original_position = q.column_int64(1);
    read_event_columns(q, 2, d);
    d.dead_at = from_ms(q.column_int64(13));
    d.attempts = static_cast<int>(q.column_int64(14));
    d.error = q.column_text(15);
    return d;
}

const std::string select_records = "SELECT position, " + std::string(event_columns) +
                                   ", created_at_ms, attempts, next_attempt_at_ms, last_error FROM domain_events_outbox ";
const std::string select_dead_letters = "SELECT id, original_position, " + std::string(event_columns) +
                                        ", created_at_ms, dead_at_ms, attempts, error FROM domain_events_dead_letters ";

// Where every relay query starts: at or below the watermark everything is published or gone,
// above it everything is pending.
const std::string watermark = "(SELECT published_through FROM domain_events_outbox_stats WHERE id = 1)";

}  // namespace

time_point_ms now_ms() noexcept {
    return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

outbox_message message_of(const outbox_record& r) noexcept {
    const auto view = [](const std::optional<std::string>& text) {
        return text ? std::optional<std::string_view>(*text) : std::nullopt;
    };
    return outbox_message{r.position,       r.event_id,  r.event_type,          r.aggregate_type,
                          r.aggregate_id,   view(r.correlation_id), r.schema_version, r.payload,
                          view(r.traceparent), view(r.tracestate), r.created_at};
}

void outbox::install(database& db) { detail::install_outbox_schema(db, schema_version); }

std::int64_t outbox::append(const event& e) { return append(e, serialize(e)); }

std::int64_t outbox::append(const event& e, std::string_view payload) {
    if (!db_.in_transaction()) {
        throw usage_error("outbox.append: event " + e.event_id + " (" + e.event_type +
                          ") appended outside a transaction; open one with domain_events::transaction or "
                          "database::atomic so it commits with the domain write");
    }
    db_.prepare("INSERT INTO domain_events_outbox (" + std::string(event_columns) +
                ", created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        ->bind_all(e.event_id, e.event_type, e.aggregate_type, e.aggregate_id, e.aggregate_version,
                  e.metadata.correlation_id, e.metadata.version, payload, e.metadata.traceparent,
                  e.metadata.tracestate, to_ms(now_ms()))
        .run();
    return db_.last_insert_rowid();
}

std::vector<outbox_record> outbox::next_batch(std::size_t limit, std::int64_t after_position) {
    auto q = db_.prepare(select_records + "WHERE position > max(?, " + watermark + ") ORDER BY position LIMIT ?");
    q->bind_all(after_position, static_cast<std::int64_t>(limit));
    std::vector<outbox_record> batch;
    batch.reserve(limit);
    while (q->step()) batch.push_back(read_record(*q));
    return batch;
}

std::size_t outbox::visit_pending(std::size_t limit, std::int64_t after_position,
                                  const std::function<bool(const outbox_message&)>& visit) {
    // Only the columns a message needs, read in place: no copy, no allocation per row.
    static const std::string sql = "SELECT position, event_id, event_type, aggregate_type, aggregate_id, "
                                   "correlation_id, schema_version, payload, created_at_ms, traceparent, tracestate "
                                   "FROM domain_events_outbox "
                                   "WHERE position > max(?, " + watermark + ") ORDER BY position LIMIT ?";
    auto q = db_.prepare(sql);
    q->bind_all(after_position, static_cast<std::int64_t>(limit));
    std::size_t shown = 0;
    outbox_message m;
    // The use's end resets q, ending the read even when `visit` throws.
    while (q->step()) {
        m.position = q->column_int64(0);
        m.event_id = q->column_text_view(1);
        m.event_type = q->column_text_view(2);
        m.aggregate_type = q->column_text_view(3);
        m.aggregate_id = q->column_text_view(4);
        m.correlation_id = q->column_is_null(5) ? std::nullopt : std::optional(q->column_text_view(5));
        m.schema_version = q->column_text_view(6);
        m.payload = q->column_text_view(7);
        m.created_at = from_ms(q->column_int64(8));
        m.traceparent = q->column_is_null(9) ? std::nullopt : std::optional(q->column_text_view(9));
        m.tracestate = q->column_is_null(10) ? std::nullopt : std::optional(q->column_text_view(10));
        ++shown;
        if (!visit(m)) break;
    }
    return shown;
}

std::int64_t outbox::mark_published_through(std::int64_t through, time_point_ms published_at) {
    return db_.atomic([&] {
        const auto from = published_through();
        if (through <= from) return std::int64_t{0};  // already marked: a repeated mark changes nothing
        if (through > last_position()) {
            throw usage_error("outbox.mark_published_through: position " + std::to_string(through) +
                              " is beyond the last appended position " + std::to_string(last_position()));
        }
        // Counted over the rowid range, which the relay has just read: O(batch), no table scan.
        const auto marked = *first_row(
            db_.prepare("SELECT count(*) FROM domain_events_outbox WHERE position > ? AND position <= ?")
                 ->bind_all(from, through),
            [](const statement& q) { return q.column_int64(0); });
        db_.prepare("UPDATE domain_events_outbox_stats SET published = published + ?, published_through = ? WHERE id = 1")
            ->bind_all(marked, through)
            .run();
        db_.prepare("INSERT INTO domain_events_outbox_marks (through_position, published_at_ms) VALUES (?, ?)")
            ->bind_all(through, to_ms(published_at))
            .run();
        return marked;
    });
}

std::int64_t outbox::last_position() {
    auto q = db_.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'domain_events_outbox'), 0)");
    q->step();
    const auto last = q->column_int64(0);
    return last;
}

std::int64_t outbox::published_through() {
    auto q = db_.prepare("SELECT " + watermark);
    q->step();
    const auto through = q->column_int64(0);
    return through;
}

bool outbox::pending_through(std::int64_t position) {
    auto q = db_.prepare("SELECT EXISTS (SELECT 1 FROM domain_events_outbox WHERE position > " + watermark +
                          " AND position <= ?)");
    q->bind_all(position);
    q->step();
    const bool pending = q->column_int64(0) != 0;
    return pending;
}

int outbox::record_failure(std::int64_t position, std::string_view error, time_point_ms next_attempt_at) {
    auto q = db_.prepare(
        "UPDATE domain_events_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at_ms = ? "
        "WHERE position = ? AND position > " + watermark + " RETURNING attempts");
    q->bind_all(error, to_ms(next_attempt_at), position);
    if (!q->step()) {
        throw usage_error("outbox.record_failure: no pending event at position " + std::to_string(position));
    }
    const auto attempts = static_cast<int>(q->column_int64(0));
    return attempts;
}

void outbox::move_to_dead_letters(std::int64_t position, std::string_view error, time_point_ms now) {
    db_.atomic([&] {
        const int moved =
            db_.prepare("INSERT INTO domain_events_dead_letters (original_position, " + std::string(event_columns) +
                        ", created_at_ms, dead_at_ms, attempts, error) SELECT position, " +
                        std::string(event_columns) + ", created_at_ms, ?, attempts, ? FROM domain_events_outbox "
                        "WHERE position = ? AND position > " + watermark)
                ->bind_all(to_ms(now), error, position)
                .run();
        if (moved == 0) {
            throw usage_error("outbox.move_to_dead_letters: no pending event at position " + std::to_string(position));
        }
        db_.prepare("DELETE FROM domain_events_outbox WHERE position = ?")->bind_all(position).run();
    });
}

std::size_t outbox::delete_published_before(time_point_ms cutoff, std::size_t max_rows) {
    return db_.atomic([&] {
        // Oldest mark first. Wall-clock time can step back, so a mark that is not old enough
        // stops the walk: rows are kept too long rather than deleted early.
        std::int64_t deleted = 0;
        const auto budget = static_cast<std::int64_t>(max_rows);
        while (deleted < budget) {
            const auto oldest = first_row(*db_.prepare("SELECT through_position, published_at_ms FROM "
                                                       "domain_events_outbox_marks WHERE through_position > 0 "
                                                       "ORDER BY through_position LIMIT 1"),
                                          [](const statement& q) { return std::pair(q.column_int64(0), q.column_int64(1)); });
            if (!oldest || oldest->second >= to_ms(cutoff)) break;
            const auto through = oldest->first;
            const auto room = budget - deleted;
            const std::int64_t removed =
                db_.prepare("DELETE FROM domain_events_outbox WHERE position IN "
                            "(SELECT position FROM domain_events_outbox WHERE position <= ? ORDER BY position LIMIT ?)")
                    ->bind_all(through, room)
                    .run();
            deleted += removed;
            if (removed == room) break;  // the budget ran out, maybe before the mark's last row
            db_.prepare("DELETE FROM domain_events_outbox_marks WHERE through_position = ?")->bind_all(through).run();
        }
        db_.prepare("UPDATE domain_events_outbox_stats SET published = published - ? WHERE id = 1")
            ->bind_all(deleted)
            .run();
        return static_cast<std::size_t>(deleted);
    });
}

outbox_counts outbox::counts(time_point_ms now) {
    outbox_counts c;
    auto q = db_.prepare(
        "SELECT (SELECT count(*) FROM domain_events_outbox WHERE position > " + watermark + "), "
        "(SELECT published FROM domain_events_outbox_stats WHERE id = 1), "
        "(SELECT count(*) FROM domain_events_dead_letters), "
        "(SELECT created_at_ms FROM domain_events_outbox WHERE position > " + watermark + " ORDER BY position LIMIT 1)");
    q->step();
    c.pending = q->column_int64(0);
    c.published = q->column_int64(1);
    c.dead = q->column_int64(2);
    if (!q->column_is_null(3)) c.oldest_pending_age = now - from_ms(q->column_int64(3));
    return c;
}

std::vector<outbox_dead_letter> outbox::dead_letters(std::size_t limit, std::int64_t after_id) {
    auto q = db_.prepare(select_dead_letters + "WHERE id > ? ORDER BY id LIMIT ?");
    q->bind_all(after_id, static_cast<std::int64_t>(limit));
    std::vector<outbox_dead_letter> letters;
    while (q->step()) letters.push_back(read_dead_letter(*q));
    return letters;
}

std::optional<outbox_dead_letter> outbox::find_dead_letter(std::int64_t id) {
    auto q = db_.prepare(select_dead_letters + "WHERE id = ?");
    q->bind_all(id);
    std::optional<outbox_dead_letter> found;
    if (q->step()) found = read_dead_letter(*q);
    return found;
}

std::int64_t outbox::replay_dead_letter(std::int64_t id, time_point_ms now) {
    return db_.atomic([&] {
        // created_at becomes the replay time: the row re-enters the queue now.
        const int inserted =
            db_.prepare("INSERT INTO domain_events_outbox (" + std::string(event_columns) + ", created_at_ms) SELECT " +
                        std::string(event_columns) + ", ? FROM domain_events_dead_letters WHERE id = ?")
                ->bind_all(to_ms(now), id)
                .run();
        if (inserted == 0) throw usage_error("outbox.replay_dead_letter: no dead letter with id " + std::to_string(id));
        const auto position = db_.last_insert_rowid();
        db_.prepare("DELETE FROM domain_events_dead_letters WHERE id = ?")->bind_all(id).run();
        return position;
    });
}

std::size_t outbox::replay_all_dead_letters(time_point_ms now) {
    return db_.atomic([&] {
        // The INSERT takes the write lock, so no letter can die between it and the DELETE.
        const int replayed =
            db_.prepare("INSERT INTO domain_events_outbox (" + std::string(event_columns) + ", created_at_ms) SELECT " +
                        std::string(event_columns) + ", ? FROM domain_events_dead_letters ORDER BY id")
                ->bind_all(to_ms(now))
                .run();
        db_.execute("DELETE FROM domain_events_dead_letters");
        return static_cast<std::size_t>(replayed);
    });
}

bool outbox::discard_dead_letter(std::int64_t id) {
    return db_.prepare("DELETE FROM domain_events_dead_letters WHERE id = ?")->bind_all(id).run() > 0;
}

std::optional<std::string> outbox::recorded_topic_prefix() {
    auto query = db_.prepare("SELECT value FROM domain_events_outbox_settings WHERE name = 'topic_prefix'");
    std::optional<std::string> prefix;
    if (query->step()) prefix = query->column_text(0);
    return prefix;
}

void outbox::record_topic_prefix(std::string_view prefix) {
    db_.atomic([&] {
        db_.prepare("INSERT INTO domain_events_outbox_settings (name, value) VALUES ('topic_prefix', ?) "
                    "ON CONFLICT (name) DO NOTHING")
            ->bind_all(prefix)
            .run();
        const auto recorded = recorded_topic_prefix().value_or(std::string(prefix));
        if (recorded != prefix) {
            throw config_error("topic_prefix='" + std::string(prefix) + "': the outbox '" + db_.path() +
                               "' is published under the prefix '" + recorded +
                               "'; one outbox's events go to one set of topics (set KAFKA_TOPIC_PREFIX=" + recorded +
                               ", or use another outbox for the new topics)");
        }
    });
}

}  // namespace domain_events
