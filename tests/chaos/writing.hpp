#pragma once
// A writer of the concurrent-writers chaos scenario: each transaction inserts domain rows
// (`chaos_rows`) and their events in the outbox together, so a crash or a refused write can
// never leave one without the other. Used by the writer threads of the test and by the writer
// processes (writer_main.cpp).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace domain_events::chaos {

/** Creates `chaos_rows` and the outbox schema in the file (idempotent). */
void install_writer_schema(const std::string& db_path);

/**
 * Writes up to `cap` (row, event) pairs as writer `name` (aggregates `<name>-0`..`<name>-9`,
 * versions from 1), in transactions of 1..20 drawn from `seed` with `pause` after each, until
 * `stop` is set.
 * @return the pairs written. Throws what the library throws (e.g. storage_error).
 */
std::size_t write_pairs(const std::string& db_path, const std::string& name, std::size_t cap,
                        const std::atomic<bool>& stop, std::uint32_t seed, std::chrono::milliseconds pause);

}  // namespace domain_events::chaos
