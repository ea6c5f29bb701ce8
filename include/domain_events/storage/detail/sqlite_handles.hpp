#pragma once
/** @file
 * Owning aliases for the SQLite handles the library holds (librdkafka's live in the internal
 * src/kafka/kafka_handles.hpp, out of the public headers). Wrap a raw handle the moment it exists,
 * before checking the return code, so a failed open still closes. Not part of the public API.
 */
#include <memory>

struct sqlite3;
struct sqlite3_stmt;

namespace domain_events::detail {

struct sqlite_db_deleter { void operator()(sqlite3* db) const noexcept; };
struct sqlite_stmt_deleter { void operator()(sqlite3_stmt* stmt) const noexcept; };

using sqlite_db = std::unique_ptr<sqlite3, sqlite_db_deleter>;
using sqlite_stmt = std::unique_ptr<sqlite3_stmt, sqlite_stmt_deleter>;

}  // namespace domain_events::detail
