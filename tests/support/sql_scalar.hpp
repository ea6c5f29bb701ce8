#pragma once
// The first column of the first row of a query, for tests that count rows or read one value.
#include <cstdint>
#include <string>
#include <string_view>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>

namespace domain_events::testing {

/** `sql`'s first row's first column as an integer; throws usage_error when there is no row. */
inline std::int64_t scalar(database& db, std::string_view sql) {
    auto q = db.prepare(sql);
    if (!q->step()) throw usage_error("scalar: `" + std::string(sql) + "` returned no row");
    return q->column_int64(0);
}

}  // namespace domain_events::testing
