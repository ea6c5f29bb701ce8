#pragma once
// Runs the demo executable and checks its summary against what its outbox and Kafka hold: the
// hermetic tier points it at a mock cluster of the test's, the kafka tier at the real broker.
#include <string>
#include <vector>

#include <domain_events/config.hpp>

#include "delivery_verifier.hpp"

namespace domain_events::testing {

/** The figures of the demo's `summary:` line; -1 for one that is missing. */
struct demo_summary {
    long written = -1;
    long published = -1;
    long consumed = -1;
    long duplicates_skipped = -1;
};

/** Reads `summary: written N, published N[, consumed N, duplicates skipped N]` from the output. */
demo_summary parse_demo_summary(const std::string& output);

/**
 * How many events the demo's example consumers must have applied between them: each event the
 * outbox at `settings.database_path` committed, once per example consumer whose default
 * subscription takes its type. (`per_event_type` routing: a topic names its type.)
 */
long expected_consumed(const config& settings);

/** What one run of the demo did: its exit status, output, summary, and the delivery check. */
struct demo_run {
    int status = -1;
    std::string output;
    demo_summary summary;
    verification delivery;  ///< the outbox at `settings.database_path` against `settings.bootstrap_servers`
};

/**
 * Runs `demo` with `--db settings.database_path` and `args`, the broker and prefix of `settings`
 * in its environment; then reads every topic back (60 s at most).
 */
demo_run run_demo_and_verify(const std::string& demo, const std::vector<std::string>& args, const config& settings,
                             const std::string& log_path);

/**
 * Checks (gtest EXPECTs) a successful run of the demo against its outbox and the topics: every
 * committed event delivered, the summary's written, published, consumed and duplicates-skipped
 * figures equal to what they must be, and the patient directory equal to its source table.
 */
void expect_summary_matches_topics(const demo_run& run, const config& settings);

}  // namespace domain_events::testing
