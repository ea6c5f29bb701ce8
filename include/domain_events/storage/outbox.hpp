#pragma once
/** @file
 * The transactional outbox: events appended in the caller's transaction, read back in commit
 * order by the relay, marked published after Kafka acknowledged them, or moved to dead letters.
 */
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/event.hpp"

namespace domain_events {

class database;

/** @brief Wall-clock time with millisecond precision, as the outbox stores it. */
using time_point_ms = std::chrono::sys_time<std::chrono::milliseconds>;

/** @brief The current time, rounded down to milliseconds. */
[[nodiscard]] time_point_ms now_ms() noexcept;

/** @brief One pending or published outbox row. */
struct outbox_record {
    std::int64_t position = 0;  ///< commit order: every row committed later has a larger position
    std::string event_id;
    std::string event_type;
    std::string aggregate_type;
    std::string aggregate_id;
    std::int64_t aggregate_version = 0;
    std::optional<std::string> correlation_id;
    std::string schema_version;  ///< the envelope's metadata.version, sent as a header
    std::string payload;  ///< the envelope JSON, exactly as published
    std::optional<std::string> traceparent;  ///< W3C trace context, sent as headers (trace_context.hpp)
    std::optional<std::string> tracestate;
    time_point_ms created_at;
    int attempts = 0;
    time_point_ms next_attempt_at;  ///< the relay does not retry before this time
    std::optional<std::string> last_error;
};

/**
 * @brief A pending row as the relay sends it: only the columns a Kafka message needs, as views
 *        into SQLite's buffers, valid only during the `outbox::visit_pending` call that shows it.
 */
struct outbox_message {
    std::int64_t position = 0;
    std::string_view event_id;
    std::string_view event_type;
    std::string_view aggregate_type;
    std::string_view aggregate_id;
    std::optional<std::string_view> correlation_id;
    std::string_view schema_version;
    std::string_view payload;
    std::optional<std::string_view> traceparent;
    std::optional<std::string_view> tracestate;
    time_point_ms created_at;
};

/** @brief `record`'s message columns, viewing `record`'s strings (valid while it lives). */
[[nodiscard]] outbox_message message_of(const outbox_record& record) noexcept;

/**
 * @brief An outbox row the relay gave up on (the broker refused it for good), moved to the
 *        outbox's dead-letter table for inspection and replay. Not the consumer's dead-letter
 *        topic, where a consumer sends messages it cannot apply (consume/dead_letter_topic_headers.hpp).
 */
struct outbox_dead_letter {
    std::int64_t id = 0;
    std::int64_t original_position = 0;
    std::string event_id;
    std::string event_type;
    std::string aggregate_type;
    std::string aggregate_id;
    std::int64_t aggregate_version = 0;
    std::optional<std::string> correlation_id;
    std::string schema_version;
    std::string payload;
    std::optional<std::string> traceparent;  ///< kept, so that a replay sends them again
    std::optional<std::string> tracestate;
    time_point_ms created_at;
    time_point_ms dead_at;
    int attempts = 0;
    std::string error;  ///< the broker's last error
};

/** @brief What an operator wants to know at a glance. */
struct outbox_counts {
    std::int64_t pending = 0;
    std::int64_t published = 0;  ///< published rows still retained
    std::int64_t dead = 0;
    std::optional<std::chrono::milliseconds> oldest_pending_age;  ///< empty when nothing is pending
};

/**
 * @brief Operations on the outbox tables of one SQLite file, through one connection.
 *
 * Cheap to construct; `install` creates or migrates the schema once per file. Published state is
 * a watermark: every row at or below `published_through()` is published, every row above it is
 * pending (dead letters leave the table). Every query starts at the watermark or is served by an
 * index, so each costs O(batch), not O(table). Not thread-safe (like `database`).
 */
class outbox {
public:
    /** @brief The schema version this build writes; stored in `domain_events_schema`. */
    static constexpr int schema_version = 5;

    /** @brief Binds to `db` without touching the schema. */
    explicit outbox(database& db) noexcept : db_(db) {}

    /**
     * @brief Creates or migrates the outbox schema in `db`'s file (idempotent).
     * @throws storage_error when SQLite fails; error when the file has a newer schema than this build.
     */
    static void install(database& db);

    /**
     * @brief Appends `e` in the caller's open transaction, so it commits or rolls back with the
     *        domain write. @return the row's position.
     * @throws usage_error when no transaction is open (an event outside a transaction is a bug).
     * @throws storage_error when SQLite fails (e.g. the schema was never installed).
     */
    std::int64_t append(const event& e);

    /** @brief As above, with the envelope already serialized (`serialize(e)`), e.g. by validation. */
    std::int64_t append(const event& e, std::string_view payload);

    /** @brief Up to `limit` pending rows after `after_position`, in commit order. */
    [[nodiscard]] std::vector<outbox_record> next_batch(std::size_t limit, std::int64_t after_position = 0);

    /**
     * @brief Shows up to `limit` pending rows after `after_position` to `visit`, in commit order,
     *        without copying them (the relay's read path). Stops early when `visit` returns false.
     *        `visit` must not use this connection. @return the rows shown.
     */
    std::size_t visit_pending(std::size_t limit, std::int64_t after_position,
                              const std::function<bool(const outbox_message&)>& visit);

    /** @brief The largest position ever appended (0 for none), whether or not the row is still there. */
    [[nodiscard]] std::int64_t last_position();
    /** @brief Every row at or below this position is published or gone (the watermark). */
    [[nodiscard]] std::int64_t published_through();
    /** @brief Whether any row at or below `position` is still pending (neither published nor dead). */
    [[nodiscard]] bool pending_through(std::int64_t position);
    /**
     * @brief Marks every pending row at or below `through` published, in O(1): advances the
     *        watermark and records one retention mark (joins the caller's transaction if one is
     *        open). The caller must hold an acknowledgement for each of those rows; a `through` at
     *        or below the watermark changes nothing. @return the rows newly marked.
     * @throws usage_error when `through` is beyond the last appended position.
     */
    std::int64_t mark_published_through(std::int64_t through, time_point_ms published_at);

    /** @brief Counts a failed attempt and when to retry. @return the attempts so far. @throws usage_error for an unknown position. */
    int record_failure(std::int64_t position, std::string_view error, time_point_ms next_attempt_at);

    /** @brief Moves a pending row to the dead letters with `error`. @throws usage_error for an unknown position. */
    void move_to_dead_letters(std::int64_t position, std::string_view error, time_point_ms now);

    /**
     * @brief Deletes up to `max_rows` rows published before `cutoff`, oldest first; a mark whose
     *        time is not yet past `cutoff` holds back those behind it. @return rows deleted.
     */
    std::size_t delete_published_before(time_point_ms cutoff, std::size_t max_rows);

    /** @brief Pending, retained published and dead counts, and the oldest pending event's age. */
    [[nodiscard]] outbox_counts counts(time_point_ms now);

    /** @brief Dead letters with an id above `after_id`, oldest first. */
    [[nodiscard]] std::vector<outbox_dead_letter> dead_letters(std::size_t limit, std::int64_t after_id = 0);
    [[nodiscard]] std::optional<outbox_dead_letter> find_dead_letter(std::int64_t id);

    /**
     * @brief Puts a dead letter back at the end of the pending queue, keeping its `event_id`.
     * @return the new position. @throws usage_error for an unknown id.
     */
    std::int64_t replay_dead_letter(std::int64_t id, time_point_ms now);

    /**
     * @brief Puts every dead letter back at the end of the pending queue in one transaction, in
     *        the order they died, each keeping its `event_id`. @return how many were replayed.
     */
    std::size_t replay_all_dead_letters(time_point_ms now);

    /** @brief Deletes a dead letter for good. @return false when there was none with that id. */
    bool discard_dead_letter(std::int64_t id);

    /** @brief The topic prefix a relay recorded when it first published this outbox, if any. */
    [[nodiscard]] std::optional<std::string> recorded_topic_prefix();

    /**
     * @brief Records `prefix` as the outbox's topic prefix, unless one is recorded already.
     * @throws config_error when another prefix is recorded (naming both): the events of one
     *         outbox go to one set of topics.
     */
    void record_topic_prefix(std::string_view prefix);

    [[nodiscard]] database& db() const noexcept { return db_; }

private:
    database& db_;
};

}  // namespace domain_events
