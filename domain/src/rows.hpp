#pragma once
// Reading rows through the library's cached statements.
#include <chrono>
#include <optional>
#include <string_view>
#include <cstdint>

#include <domain_events/storage/statement.hpp>

#include "healthcore/errors.hpp"
#include "healthcore/fields.hpp"

namespace healthcore::detail {

using domain_events::collect_rows;
using domain_events::first_row;

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
