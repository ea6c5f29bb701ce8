#include "domain_events/error.hpp"

#include <sqlite3.h>

namespace domain_events {
namespace {

// An extended result code's low byte is its primary code.
int primary(int sqlite_code) noexcept { return sqlite_code & 0xff; }

}  // namespace

bool storage_error::busy() const noexcept {
    const auto code = primary(sqlite_code_);
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

bool storage_error::database_fault() const noexcept {
    switch (primary(sqlite_code_)) {
        case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_READONLY: case SQLITE_CANTOPEN:
        case SQLITE_NOMEM: case SQLITE_CORRUPT: case SQLITE_NOTADB:
            return true;
        default:
            return false;
    }
}

}  // namespace domain_events
