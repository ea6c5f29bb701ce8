#pragma once
/** @file
 * The `main` of a consumer program in one call: the common flags, graceful SIGTERM/SIGINT, one
 * line per applied event and a summary. docs/consuming.md, "Example consumers".
 *
 *   int main(int argc, char** argv) { return domain_events::run_consumer_cli(my_program(), argc, argv); }
 */
#include "domain_events/ops/consumer_program.hpp"

namespace domain_events {

/**
 * @brief Parses the flags, runs the program's consumer on the calling thread until SIGTERM or
 *        SIGINT, `--max-events` or `--idle-exit`, and prints to stdout (flushed per line):
 *
 *        applied <type> <aggregate_type>/<aggregate_id> v<version> <event_id>: <report>
 *        summary: applied N, duplicates skipped N, dead-lettered N, skipped unknown N
 *
 * Flags: `--events a,b` (types or patterns), `--group`, `--db`, `--bootstrap-servers` (default
 * KAFKA_BOOTSTRAP_SERVERS), `--from-beginning` (a group without committed offsets starts at the
 * oldest event instead of only new ones), `--max-events N`, `--idle-exit SECONDS`, `--http
 * HOST:PORT` (health and Prometheus metrics, `consumer_http.hpp`), `--help`.
 * The rest of the configuration comes from the environment (`config_from_environment`:
 * KAFKA_TOPIC_PREFIX, KAFKA_TOPIC_ROUTING, KAFKA_PROPERTY_*); logs go to stderr (LOG_LEVEL).
 *
 * Creates `shutdown_signals` itself: call it from `main` before starting any thread.
 * @return the exit status: 0 after a clean stop; 2 for a bad or missing flag or setting (the
 *         message names it); 1 when the consumer failed (Kafka or database), after the message.
 */
int run_consumer_cli(const consumer_program& program, int argc, const char* const* argv) noexcept;

}  // namespace domain_events
