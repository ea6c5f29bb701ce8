#pragma once
// Private: turns an SQLite result code into a storage_error that names the action and the file.
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "domain_events/error.hpp"

namespace domain_events::detail {

inline storage_error sqlite_failure(sqlite3* db, int code, std::string_view action, std::string_view path) {
    std::string message = "sqlite: ";
    message += (db != nullptr && sqlite3_errcode(db) != SQLITE_OK) ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    message += " (code " + std::to_string(code) + ") during ";
    message += action;
    message += " on '";
    message += path;
    message += "'";
    return storage_error(message, code);
}

}  // namespace domain_events::detail
