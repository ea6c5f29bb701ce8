#pragma once
// What the example consumers share: a program's identity and tables, reading an event's data
// fields with errors that name them, and reading rows through the library's cached statements.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <domain_events/ops/consumer_program.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/event.hpp>
#include <domain_events/storage/statement.hpp>

#include <healthcore/clinic.hpp>

namespace healthcore::consumers::detail {

/** `data.<field>` as text; validation_error naming the event type and field when missing or not text. */
inline std::string text_field(const domain_events::event& e, const char* field) {
    const auto found = e.data.find(field);
    if (found == e.data.end() || !found->is_string())
        throw domain_events::validation_error(std::string("data.") + field,
                                              e.event_type + " " + e.event_id + ": expected a text field");
    return found->get<std::string>();
}

/** The aggregate id as a row id; validation_error naming it when it is not a positive integer. */
inline std::int64_t numeric_id(const domain_events::event& e) {
    std::int64_t id = 0;
    std::size_t used = 0;
    try {
        id = std::stoll(e.aggregate_id, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != e.aggregate_id.size() || used == 0 || id <= 0)
        throw domain_events::validation_error("aggregate_id", "'" + e.aggregate_id + "' is not a positive integer id");
    return id;
}

/** The first column of the first row as an integer, or nothing. */
inline std::optional<std::int64_t> int_value(domain_events::statement& q) {
    return domain_events::first_row(q, [](const domain_events::statement& s) { return s.column_int64(0); });
}

/** `count(*)`-style queries without parameters. */
inline std::int64_t count(domain_events::database& db, std::string_view sql) { return int_value(*db.prepare(sql)).value_or(0); }

/**
 * A program with its name, `--help` sentence, default group and events, file `<group>.db`, and
 * tables: `schema_sql`, version 1 of the handlers' schema, which the consumer creates in its
 * database before any event. Its `IF NOT EXISTS` keeps a database made before the schema hook
 * (the tables there, no version recorded) opening. Topics are the clinic's (`healthcore.*`)
 * unless KAFKA_TOPIC_PREFIX says otherwise.
 */
inline domain_events::consumer_program program_with_schema(std::string name, std::string description, std::string group,
                                                           std::vector<std::string> events, std::string schema_sql) {
    domain_events::consumer_program program;
    program.name = std::move(name);
    program.description = std::move(description);
    program.default_database = group + ".db";
    program.default_group = std::move(group);
    program.default_events = std::move(events);
    program.default_topic_prefix = healthcore::topic_prefix;
    program.schema = domain_events::consumer_schema::script(1, std::move(schema_sql));
    return program;
}

/** "N label, N label" for `describe`: each `{count query, label}` in turn. */
inline std::string counts_line(domain_events::database& db,
                               std::initializer_list<std::pair<std::string_view, std::string_view>> counts) {
    std::string line;
    for (const auto& [sql, label] : counts) {
        if (!line.empty()) line += ", ";
        line += std::to_string(count(db, sql)) + " " + std::string(label);
    }
    return line;
}

}  // namespace healthcore::consumers::detail
