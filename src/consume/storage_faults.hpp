#pragma once
// Which SQLite failures of the consumer's own database mean what. Internal.
#include "domain_events/error.hpp"

namespace domain_events::detail {

/** @brief Another writer held SQLite's write lock past the busy timeout. */
[[nodiscard]] bool is_busy(const storage_error& e) noexcept;

/**
 * @brief A full disk, an I/O error, a read-only or unreadable file: every event fails alike, so
 *        it is the consumer's failure (it backs off and tries again), not the event's.
 */
[[nodiscard]] bool is_the_databases_fault(const storage_error& e) noexcept;

}  // namespace domain_events::detail
