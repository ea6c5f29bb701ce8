#pragma once
// Reading rows through the library's cached statements.
#include <chrono>
#include <optional>
#include <string_view>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <domain_events/statement.hpp>

#include "healthcore/errors.hpp"
#include "healthcore/fields.hpp"

namespace healthcore::detail {

/**
 * Every row `q` (already bound) yields, each made by `read(q)`; the statement is reset after,
 * even on an exception, so no read transaction lingers on the cached statement.
 */
template <class Read>
auto collect_rows(domain_events::statement& q, Read read) {
    struct reset_on_exit {
        domain_events::statement& s;
        ~reset_on_exit() { s.reset(); }
    } guard{q};
    std::vector<std::invoke_result_t<Read&, domain_events::statement&>> rows;
    while (q.step()) rows.push_back(read(q));
    return rows;
}

/** The one row a lookup by primary key yields, or nothing. */
template <class Read>
auto only_row(domain_events::statement& q, Read read) {
    auto rows = collect_rows(q, read);
    using row = typename decltype(rows)::value_type;
    return rows.empty() ? std::nullopt : std::optional<row>(std::move(rows.front()));
}

/** The row, or not_found naming `entity` and `id`. */
template <class Row>
Row found(std::optional<Row> row, std::string_view entity, std::int64_t id) {
    if (!row) throw not_found(entity, id);
    return std::move(*row);
}

inline timestamp time_column(const domain_events::statement& q, int column) {
    return timestamp{std::chrono::milliseconds{q.column_int64(column)}};
}

inline std::int64_t to_ms(timestamp t) noexcept { return t.time_since_epoch().count(); }

}  // namespace healthcore::detail
