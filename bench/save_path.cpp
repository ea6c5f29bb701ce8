// Save-path cost: a repository save with its event (signals, envelope, JSON, UUID, outbox row,
// commit) against a hand-written SQLite transaction inserting the same two rows with prepared
// statements, on the same file settings, in the same process. Rounds alternate so that drift
// (page cache, CPU frequency) hits both sides alike; the ratio of medians is the figure. The
// library is timed twice: with the versions it keeps (one more write per save: the aggregate's
// last version) and with the model's versions kept by the application (`patient` in
// config::versions_kept_by_application, as the clinic's repositories do).
//
//   build/bench/bench_save_path [--ops N] [--rounds R]
#include <domain_events/domain_events.hpp>

#include "bench_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace de = domain_events;
using bench_clock = std::chrono::steady_clock;

namespace {

constexpr const char* patient_table =
    "CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, version INTEGER NOT NULL)";

struct side {
    explicit side(const std::string& path) : db(path) {
        db.execute(patient_table);
        de::outbox::install(db);
    }
    de::database db;
};

double nanos_per_op(bench_clock::duration elapsed, int ops) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) / ops;
}

}  // namespace

int main(int argc, char** argv) {
    const bench::flags args(argc, argv, {{"ops", "5000"}, {"rounds", "7"}});
    const int ops = static_cast<int>(std::max(1L, args.number("ops")));
    const int rounds = static_cast<int>(std::max(1L, args.number("rounds")));
    const bench::scratch_dir dir("de_bench_save");
    side library(dir.file("library.db"));
    side application(dir.file("application.db"));
    side baseline(dir.file("baseline.db"));

    de::config settings;
    settings.topic_prefix = "healthcore";
    de::model_signals library_signals;
    de::publisher library_publisher(library.db, library_signals, settings);
    settings.versions_kept_by_application = {"patient"};
    de::model_signals application_signals;
    de::publisher application_publisher(application.db, application_signals, settings);
    const nlohmann::json row = {{"name", "John Doe"}, {"email", "john@example.com"}};

    auto save_op = [&](side& target, de::model_signals& signals) {
        return [&](int) {
            de::model_change change{.model = "patient", .data = row};
            de::save_model(target.db, signals, change, [&](de::model_change& c) {
                target.db.prepare("INSERT INTO patient (name, email, version) VALUES (?, ?, 1)")
                    ->bind_all("John Doe", "john@example.com")
                    .run();
                c.id = std::to_string(target.db.last_insert_rowid());
                c.version = 1;
                c.created = true;
            });
        };
    };
    auto library_op = save_op(library, library_signals);
    auto application_op = save_op(application, application_signals);

    // The hand-written side inserts the same two rows; its envelope is prepared once, outside the
    // timed loop, so the ratio charges the library for all of its own work.
    const auto sample = de::serialize(de::make_event("patient.created", "patient", "1", 1, row));
    auto baseline_op = [&](int i) {
        baseline.db.execute("BEGIN IMMEDIATE");
        baseline.db.prepare("INSERT INTO patient (name, email, version) VALUES (?, ?, 1)")
            ->bind_all("John Doe", "john@example.com")
            .run();
        baseline.db.prepare("INSERT INTO domain_events_outbox (event_id, event_type, aggregate_type, aggregate_id, "
                            "aggregate_version, correlation_id, schema_version, payload, created_at_ms) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            ->bind_all("550e8400-e29b-41d4-a716-446655440000", "patient.created", "patient",
                      std::to_string(baseline.db.last_insert_rowid()), std::int64_t{1}, nullptr, "1.0", sample,
                      std::int64_t{i})
            .run();
        baseline.db.execute("COMMIT");
    };

    auto time_round = [&](auto& op) {
        const auto start = bench_clock::now();
        for (int i = 0; i < ops; ++i) op(i);
        return nanos_per_op(bench_clock::now() - start, ops);
    };

    time_round(baseline_op);  // warm-up of both files and caches
    time_round(library_op);
    time_round(application_op);
    std::vector<double> base_ns, lib_ns, app_ns;
    for (int r = 0; r < rounds; ++r) {
        base_ns.push_back(time_round(baseline_op));
        lib_ns.push_back(time_round(library_op));
        app_ns.push_back(time_round(application_op));
    }
    const double base = bench::median(base_ns);
    const double lib = bench::median(lib_ns);
    const double app = bench::median(app_ns);
    std::printf("save_path: ops/round=%d rounds=%d\n", ops, rounds);
    std::printf("  hand-written transaction                 : %8.0f ns/op\n", base);
    std::printf("  save + event, versions kept by library   : %8.0f ns/op  ratio %.2f\n", lib, lib / base);
    std::printf("  save + event, versions kept by the model : %8.0f ns/op  ratio %.2f (target <= 1.30)\n", app,
                app / base);
    return 0;
}
