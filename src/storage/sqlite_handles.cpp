#include "domain_events/detail/handles.hpp"

#include <sqlite3.h>

namespace domain_events::detail {

// sqlite3_close_v2 defers the close until the last statement is finalized, so the order in
// which owners die can never leak the connection.
void sqlite_db_deleter::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
// sqlite3_finalize repeats the last step's error code; it says nothing about finalizing itself.
void sqlite_stmt_deleter::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

}  // namespace domain_events::detail
