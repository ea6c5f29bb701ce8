#pragma once
/** @file
 * The glue an application turns on once (like registering signal receivers in Django's apps.py):
 * model signals become outbox rows in the same transaction, and custom events are one call.
 */
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "domain_events/config.hpp"
#include "domain_events/event.hpp"
#include "domain_events/publish/model_signals.hpp"
#include "domain_events/publish/publish_scope.hpp"
#include "domain_events/publish/signal.hpp"

namespace domain_events {

class database;

/**
 * @brief Records events in the outbox, from model signals and from explicit calls.
 *
 * Connects to `post_save` (`<model>.created` / `<model>.updated`) and `post_delete`
 * (`<model>.deleted`) with one dispatch uid, so a second publisher on the same signals is not
 * connected twice. Every event is validated before it is written.
 *
 * Threads: thread-safe as long as each thread writes through its own `database`: `publish` and
 * the receivers of the model signals run on the thread of the write, inside its transaction;
 * `events_committed()` is sent on the thread that committed, after the commit.
 */
class publisher {
public:
    /** @brief The dispatch uid of the publisher's receivers on model signals. */
    static constexpr const char* dispatch_uid = "domain_events.publisher";

    /**
     * @brief Installs the outbox schema in `db`'s file and connects to `signals`.
     * @throws config_error when `settings` is invalid; storage_error when the schema cannot be installed.
     */
    publisher(database& db, model_signals& signals, config settings);
    ~publisher();

    publisher(const publisher&) = delete;
    publisher& operator=(const publisher&) = delete;

    /**
     * @brief Records a custom event (e.g. `appointment.booked`) in `db`'s open transaction.
     * @param aggregate_version the aggregate's version after this write. The publisher keeps each
     *        aggregate's last published version (in the outbox's file, in the same transaction):
     *        one that is not the next is refused, so two writers of one aggregate can never
     *        publish its versions out of order. An aggregate it has not seen accepts any version.
     *        An aggregate type in `config::versions_kept_by_application` is neither recorded nor
     *        checked: the application's own version column, bumped in the same transaction, orders it.
     * @param context the event's correlation and causation ids and W3C trace context; what it
     *        leaves unset comes from the thread's current `publish_scope`, if any.
     * @return the event as written (with its id, timestamp, trace context and any redactions).
     * @throws validation_error for a bad type, oversized payload, sensitive field, malformed
     *         `metadata.traceparent` or `metadata.tracestate`, or a version that is not the
     *         aggregate's next (naming both); usage_error when `db` has no open transaction.
     */
    event publish(database& db, std::string event_type, std::string aggregate_type, std::string aggregate_id,
                  std::int64_t aggregate_version, nlohmann::json data, const publish_context& context = {});

    /**
     * @brief As above, with the aggregate's next version (its last published + 1, or 1), read and
     *        written in `db`'s transaction: for aggregates that keep no version of their own.
     * @throws as the first overload; validation_error on `aggregate_version` for an aggregate type
     *         in `config::versions_kept_by_application` (the library does not know its versions).
     */
    event publish(database& db, std::string event_type, std::string aggregate_type, std::string aggregate_id,
                  nlohmann::json data, const publish_context& context = {});

    /**
     * @brief Records an event built by the caller (see `make_event`) in `db`'s open transaction.
     *        Metadata ids it leaves unset come from the current `publish_scope` (its own
     *        `traceparent` comes with its own `tracestate`, never the scope's).
     * @return the event as written, after any redactions. @throws as the first overload.
     */
    event publish(database& db, event e);

    /**
     * @brief The version the aggregate's next event takes (its last published + 1, or 1), read in
     *        `db`'s transaction: for an event built with `make_event` and a chosen `event_id`.
     * @throws validation_error for an aggregate type in `config::versions_kept_by_application`.
     */
    [[nodiscard]] std::int64_t next_version(database& db, const std::string& aggregate_type,
                                            const std::string& aggregate_id) const;

    /**
     * @brief Sent (sender "outbox") after each commit that recorded at least one event; the
     *        relay connects here to wake at once instead of polling.
     */
    [[nodiscard]] signal<>& events_committed() noexcept { return *events_committed_; }

    [[nodiscard]] const config& settings() const noexcept { return settings_; }

private:
    void record_model_change(database& db, const model_change& change, std::string action);

    config settings_;
    // Shared so that an on_commit callback outliving the publisher finds no one to wake.
    std::shared_ptr<signal<>> events_committed_;
    scoped_connection saved_;
    scoped_connection deleted_;
};

}  // namespace domain_events
