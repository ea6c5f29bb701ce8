#include "consume/storage_faults.hpp"

#include <sqlite3.h>

namespace domain_events::detail {

bool is_busy(const storage_error& e) noexcept { return (e.sqlite_code() & 0xff) == SQLITE_BUSY; }

bool is_the_databases_fault(const storage_error& e) noexcept {
    switch (e.sqlite_code() & 0xff) {
        case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_READONLY: case SQLITE_CANTOPEN:
        case SQLITE_NOMEM: case SQLITE_CORRUPT: case SQLITE_NOTADB:
            return true;
        default:
            return false;
    }
}

}  // namespace domain_events::detail
