#pragma once
/** @file
 * An idempotent consumer packaged as a program: its tables, its handlers, and what each applied
 * event reports. The same program runs from a command line (`consumer_cli.hpp`) or inside
 * another process (the demo runs three of them after its relay).
 */
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/config.hpp"
#include "domain_events/consume/consumer.hpp"
#include "domain_events/consume/consumer_options.hpp"
#include "domain_events/consume/consumer_schema.hpp"

namespace domain_events {

class database;
struct event;

/**
 * @brief Applies one event inside the consumer's transaction (as `event_handler`) and returns
 *        what it did in a few words ("reminder scheduled for 2026-03-01T08:30:00.000Z"). The
 *        text is reported only once the transaction committed.
 */
using reporting_handler = std::function<std::string(const event& e, database& db)>;

/** @brief What a consumer program is: defaults, tables and handlers. */
struct consumer_program {
    std::string name;         ///< the executable's name, e.g. `audit-log-consumer`
    std::string description;  ///< one sentence for `--help`
    std::string default_group;                ///< `--group` when not given
    std::vector<std::string> default_events;  ///< `--events` when not given
    std::string default_database;             ///< `--db` when not given
    /// KAFKA_TOPIC_PREFIX when the variable is unset; none: the variable (or --topic-prefix) is required.
    std::optional<std::string> default_topic_prefix;
    /// The handlers' tables, given to the consumer as `consumer_options::schema` (unless the
    /// options carry one): created and migrated in the consumer's database before any event.
    consumer_schema schema;
    /// Handlers by exact event type. Those whose type the subscription does not match are not
    /// registered (`--events appointment.booked` leaves the cancellation handler out).
    std::map<std::string, reporting_handler, std::less<>> handlers;
    /// Subscribed types without a handler of their own (e.g. every type, for an audit log).
    reporting_handler fallback;
    /// What the program's tables hold, in one line ("12 reminders, 3 cancellation notices");
    /// optional. The demo prints it after running the program.
    std::function<std::string(database& db)> describe;
};

/**
 * @brief Called on the `run()` thread after an applied event's transaction committed, with the
 *        event and what its handler reported.
 */
using applied_report = std::function<void(const event& e, std::string_view report)>;

/**
 * @brief A consumer with the program's schema (see `schema`) and handlers, reporting each applied event to `report` (which may be empty).
 *        `options.after_commit` is taken for the report; a hook already there still runs first.
 * @throws config_error for a bad setting or subscription; storage_error when the database
 *         cannot be opened or the schema not created.
 */
[[nodiscard]] std::unique_ptr<consumer> make_program_consumer(const consumer_program& program, const config& settings,
                                                              consumer_options options, applied_report report);

}  // namespace domain_events
