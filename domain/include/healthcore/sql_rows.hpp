#pragma once
/** @file
 * Reading rows through the library's cached statements, for the domain's repositories and the
 * example consumers' tables.
 */
#include <optional>
#include <type_traits>
#include <vector>

#include <domain_events/storage/statement.hpp>

namespace healthcore {

/**
 * @brief Every row `q` (already bound) yields, each made by `read(q)`; the statement is reset
 *        after, even on an exception, so no read transaction lingers on the cached statement.
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

/** @brief The first row `q` yields (a lookup by primary key), or nothing. */
template <class Read>
auto only_row(domain_events::statement& q, Read read) {
    auto rows = collect_rows(q, read);
    using row = typename decltype(rows)::value_type;
    return rows.empty() ? std::nullopt : std::optional<row>(std::move(rows.front()));
}

}  // namespace healthcore
