#pragma once
// What the example consumers share: reading an event's data fields with errors that name them,
// and reading rows through the library's cached statements.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <domain_events/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/event.hpp>
#include <domain_events/statement.hpp>

#include <healthcore/sql_rows.hpp>

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
    const auto rows = collect_rows(q, [](const domain_events::statement& s) { return s.column_int64(0); });
    return rows.empty() ? std::nullopt : std::optional<std::int64_t>(rows.front());
}

/** `count(*)`-style queries without parameters. */
inline std::int64_t count(domain_events::database& db, std::string_view sql) { return int_value(db.prepare(sql)).value_or(0); }

}  // namespace healthcore::consumers::detail
