// Group commit against its baseline, in one process: T threads each saving one patient with its
// event per transaction, (a) each thread on its own connection and transaction, (b) all through
// one group_commit. Then one thread alone both ways (group commit must add nothing when idle),
// and the physical ceiling: one connection inserting the same two rows per save in batches of
// the size group commit reached, with no library code at all.
//
// --synchronous full makes every COMMIT wait for its fsync (what an application that must survive
// power loss sets): the cost group commit shares out.
//
//   build/bench/bench_group_commit [--threads 8] [--saves 2000] [--rounds 3] [--delay-us 500] [--batch 128]
//                                  [--synchronous normal|full]
#include <domain_events/domain_events.hpp>

#include "bench_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace de = domain_events;
using bench_clock = std::chrono::steady_clock;

namespace {

constexpr const char* patient_table =
    "CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, version INTEGER NOT NULL)";
const nlohmann::json row = {{"name", "John Doe"}, {"email", "john@example.com"}};

// A repository's save: the row and, through the model signals, its event.
void save_patient(de::database& db, de::model_signals& signals) {
    de::model_change change{.model = "patient", .data = row};
    de::save_model(db, signals, change, [&](de::model_change& c) {
        db.prepare("INSERT INTO patient (name, email, version) VALUES (?, ?, 1)")
            ->bind_all("John Doe", "john@example.com")
            .run();
        c.id = std::to_string(db.last_insert_rowid());
        c.version = 1;
        c.created = true;
    });
}

// One file with its schema and publisher (versions kept by the application, as the clinic's).
struct store {
    store(const std::string& file, de::synchronous_mode mode) : path(file), synchronous(mode), setup({.path = file, .synchronous = mode}) {
        setup.execute(patient_table);
        de::config settings;
        settings.topic_prefix = "healthcore";
        settings.versions_kept_by_application = {"patient"};
        events = std::make_unique<de::publisher>(setup, signals, settings);
    }
    [[nodiscard]] de::database_options connection() const { return {.path = path, .synchronous = synchronous}; }
    std::string path;
    de::synchronous_mode synchronous;
    de::database setup;
    de::model_signals signals;
    std::unique_ptr<de::publisher> events;
};

// Saves per second with `threads` threads each doing `saves`, `save(thread_index)` each.
template <class Save>
double saves_per_second(int threads, int saves, Save&& save) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            auto context = save.prepare(t);
            ++ready;
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < saves; ++i) save.one(context);
        });
    }
    while (ready.load() < threads) std::this_thread::yield();
    const auto start = bench_clock::now();
    go = true;
    for (auto& w : workers) w.join();
    const std::chrono::duration<double> elapsed = bench_clock::now() - start;
    return threads * saves / elapsed.count();
}

// (a) every thread its own connection and transaction.
struct own_transactions {
    store& s;
    std::unique_ptr<de::database> prepare(int) { return std::make_unique<de::database>(s.connection()); }
    void one(std::unique_ptr<de::database>& db) {
        db->atomic([&] { save_patient(*db, s.signals); });
    }
};

// (b) every thread through the group.
struct grouped {
    store& s;
    de::group_commit& group;
    int prepare(int) { return 0; }
    void one(int) {
        group.run([&](de::database& db) { save_patient(db, s.signals); });
    }
};

// The ceiling: the same two rows per save, `batch` saves per transaction, one connection.
double raw_rows_per_second(de::database& db, int total, int batch) {
    const auto payload = de::serialize(de::make_event("patient.created", "patient", "1", 1, row));
    const auto start = bench_clock::now();
    for (int done = 0; done < total;) {
        db.execute("BEGIN IMMEDIATE");
        for (int i = 0; i < batch && done < total; ++i, ++done) {
            db.prepare("INSERT INTO patient (name, email, version) VALUES (?, ?, 1)")->bind_all("John Doe", "john@example.com").run();
            db.prepare("INSERT INTO domain_events_outbox (event_id, event_type, aggregate_type, aggregate_id, "
                       "aggregate_version, correlation_id, schema_version, payload, created_at_ms) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                ->bind_all(de::new_event_id(), "patient.created", "patient", std::to_string(db.last_insert_rowid()),
                          std::int64_t{1}, nullptr, "1.0", payload, std::int64_t{done})
                .run();
        }
        db.execute("COMMIT");
    }
    const std::chrono::duration<double> elapsed = bench_clock::now() - start;
    return total / elapsed.count();
}

}  // namespace

int main(int argc, char** argv) {
    const auto library_delay = std::to_string(de::group_commit_options{}.max_delay.count());
    const bench::flags args(argc, argv, {{"threads", "8"}, {"saves", "2000"}, {"rounds", "3"}, {"delay-us", library_delay},
                                         {"batch", "128"}, {"synchronous", "normal"}});
    const auto mode = args.text("synchronous") == "full" ? de::synchronous_mode::full : de::synchronous_mode::normal;
    const int threads = static_cast<int>(std::max(1L, args.number("threads")));
    const int saves = static_cast<int>(std::max(1L, args.number("saves")));
    const int rounds = static_cast<int>(std::max(1L, args.number("rounds")));
    const bench::scratch_dir dir("de_bench_group_commit");
    store separate(dir.file("separate.db"), mode);
    store shared(dir.file("grouped.db"), mode);
    store alone_plain(dir.file("alone_plain.db"), mode);
    store alone_grouped(dir.file("alone_grouped.db"), mode);
    store ceiling(dir.file("ceiling.db"), mode);
    const de::group_commit_options options{.max_batch = static_cast<std::size_t>(std::max(1L, args.number("batch"))),
                                           .max_delay = std::chrono::microseconds{args.number("delay-us")}};
    de::group_commit group(shared.connection(), options);
    de::group_commit group_alone(alone_grouped.connection(), options);

    std::vector<double> own_rate, group_rate, plain_one, grouped_one;
    for (int r = 0; r < rounds; ++r) {  // alternating, so drift hits both sides alike
        own_rate.push_back(saves_per_second(threads, saves, own_transactions{separate}));
        group_rate.push_back(saves_per_second(threads, saves, grouped{shared, group}));
        plain_one.push_back(saves_per_second(1, saves, own_transactions{alone_plain}));
        grouped_one.push_back(saves_per_second(1, saves, grouped{alone_grouped, group_alone}));
    }
    const auto c = group.counters();
    const int batch = static_cast<int>(std::max<std::uint64_t>(1, c.committed / std::max<std::uint64_t>(1, c.transactions)));
    const double raw = raw_rows_per_second(ceiling.setup, threads * saves, batch);
    const double own = bench::median(own_rate), grp = bench::median(group_rate);
    const double p1 = bench::median(plain_one), g1 = bench::median(grouped_one);
    std::printf("group_commit: threads=%d saves/thread=%d rounds=%d synchronous=%s delay=%lldus\n", threads, saves, rounds,
                args.text("synchronous").c_str(), static_cast<long long>(options.max_delay.count()));
    std::printf("  %d threads, own connection + transaction each : %9.0f saves/s\n", threads, own);
    std::printf("  %d threads, one group_commit                  : %9.0f saves/s  ratio %.2f (target >= 5)\n", threads,
                grp, grp / own);
    std::printf("    transactions %llu for %llu saves (mean %d per transaction, largest %zu)\n",
                static_cast<unsigned long long>(c.transactions), static_cast<unsigned long long>(c.committed), batch,
                c.largest);
    std::printf("  1 thread, atomic()                             : %9.0f saves/s (%.1f us/save)\n", p1, 1e6 / p1);
    std::printf("  1 thread, group_commit                         : %9.0f saves/s (%.1f us/save)  ratio %.2f (target >= 0.9)\n",
                g1, 1e6 / g1, g1 / p1);
    std::printf("  ceiling: raw SQLite, same rows, %d per transaction : %9.0f saves/s (group commit reaches %.2f of it)\n",
                batch, raw, grp / raw);
    return 0;
}
