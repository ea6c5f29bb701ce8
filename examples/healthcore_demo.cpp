// The end-to-end demo (the README's first command, through scripts/demo.sh): a clinic's day
// through the domain's repositories — patients created, some updated, appointments booked, some
// cancelled or completed, one patient deleted — every write recording its event in the outbox in
// the same transaction; the relay publishing them to Kafka; a summary of what was written and
// published; the three example consumers (consumers/) reading them, each into its own SQLite file
// next to the demo's; a summary of what was written, published and consumed. Kafka is librdkafka's
// in-process mock cluster unless KAFKA_BOOTSTRAP_SERVERS is set.
//
//   healthcore_demo [--db PATH] [--patients N] [--appointments N] [--no-relay] [--seed N]
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include <domain_events/domain_events.hpp>
#include <healthcore/appointment.hpp>
#include <healthcore/clinic.hpp>
#include <healthcore/consumers/audit_log.hpp>
#include <healthcore/consumers/notifications.hpp>
#include <healthcore/consumers/patient_directory.hpp>
#include <healthcore/errors.hpp>
#include <healthcore/patient.hpp>

namespace de = domain_events;
namespace hc = healthcore;
namespace hcc = healthcore::consumers;
using namespace std::chrono;

namespace {

struct demo_options {
    std::string db_path = "healthcore_demo.db";
    int patients = 20;
    int appointments = 30;
    bool relay = true;
    unsigned seed = 42;
};

// Prints "n of total" every tenth of a long run, so a large demo shows it is moving.
class progress {
public:
    progress(const char* what, int total) : what_(what), total_(total), step_(total >= 1000 ? total / 10 : 0) {}
    void done(int n) const {
        if (step_ > 0 && n % step_ == 0) std::printf("  %s: %d of %d\n", what_, n, total_);
    }

private:
    const char* what_;
    int total_;
    int step_;
};

// The clinic's day. Returns how many events of each type it recorded.
std::map<std::string, int> run_clinic_day(de::database& db, de::model_signals& signals, de::publisher& events,
                                          const demo_options& options) {
    static const std::vector<std::string> first_names{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances"};
    static const std::vector<std::string> doctors{"Dr. Grey", "Dr. House", "Dr. Quinn", "Dr. Watson"};
    std::mt19937 random(options.seed);
    const auto pick = [&random](int below) { return std::uniform_int_distribution<int>(0, below - 1)(random); };

    hc::patient_repository patients(db, signals);
    hc::appointment_repository appointments(db, events);
    std::map<std::string, int> recorded;
    std::vector<std::int64_t> patient_ids;

    const progress created("patients", options.patients);
    for (int n = 1; n <= options.patients; ++n) {
        const auto& first = first_names[static_cast<std::size_t>(pick(static_cast<int>(first_names.size())))];
        const auto p = patients.create({.name = first + " Patient" + std::to_string(n),
                                        .email = "patient" + std::to_string(n) + "@example.com",
                                        .phone = "+4420" + std::to_string(7000000 + n),
                                        .date_of_birth = year_month_day{year{1940 + pick(70)}, month{1u + static_cast<unsigned>(pick(12))},
                                                                        day{1u + static_cast<unsigned>(pick(28))}},
                                        .national_id = "NI" + std::to_string(100000 + pick(900000))});
        patient_ids.push_back(p.id);
        ++recorded["patient.created"];
        if (n % 3 == 0) {  // a third of them move: new email and phone
            patients.update(p.id, {.email = "moved" + std::to_string(n) + "@example.com", .phone = "+4420" + std::to_string(8000000 + n)});
            ++recorded["patient.updated"];
        }
        created.done(n);
    }

    const progress booked("appointments", options.appointments);
    for (int n = 1; n <= options.appointments && !patient_ids.empty(); ++n) {
        const auto a = appointments.book(
            {.patient_id = patient_ids[static_cast<std::size_t>(pick(static_cast<int>(patient_ids.size())))],
             .doctor = doctors[static_cast<std::size_t>(pick(static_cast<int>(doctors.size())))],
             .reason = "check-up " + std::to_string(n),
             .scheduled_at = floor<milliseconds>(system_clock::now()) + days{1 + pick(30)} + hours{9 + pick(8)}});
        ++recorded["appointment.booked"];
        if (n % 4 == 0) {
            appointments.cancel(a.id, "patient called to cancel");
            ++recorded["appointment.cancelled"];
        } else if (n % 3 == 0) {
            appointments.complete(a.id);
            ++recorded["appointment.completed"];
        }
        booked.done(n);
    }

    // A walk-in registered by mistake, then deleted (a patient with appointments cannot be:
    // see docs/domain.md).
    const auto walk_in = patients.create({.name = "Walk-in Registered By Mistake",
                                          .email = "walk-in@example.com",
                                          .phone = "",
                                          .date_of_birth = year_month_day{1990y / January / 1},
                                          .national_id = "NI000000"});
    ++recorded["patient.created"];
    patients.remove(walk_in.id);
    ++recorded["patient.deleted"];
    return recorded;
}

int total(const std::map<std::string, int>& by_type) {
    int sum = 0;
    for (const auto& [type, n] : by_type) sum += n;
    return sum;
}

// What one example consumer did in the demo.
struct consumer_run {
    std::string name;
    std::string database_path;
    de::consumer_counters counters;
};

// The consumer's file beside the demo's, made afresh: `<db>.<group>.db`.
std::string fresh_consumer_database(const demo_options& options, const de::consumer_program& program) {
    const auto path = options.db_path + "." + program.default_group + ".db";
    for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return path;
}

// Runs the example consumers side by side, each on its own thread, group and file, until each
// applied as many events as the day recorded of its types, or 10 s pass without a message.
std::vector<consumer_run> run_consumers(const de::config& settings, const demo_options& options,
                                        const std::map<std::string, int>& recorded) {
    const std::vector<de::consumer_program> programs{hcc::audit_log_program(), hcc::notifications_program(),
                                                     hcc::patient_directory_program()};
    std::vector<consumer_run> runs(programs.size());
    std::vector<std::unique_ptr<de::consumer>> consumers(programs.size());
    for (std::size_t i = 0; i < programs.size(); ++i) {
        const auto& program = programs[i];
        de::consumer_options o;
        o.group_id = "healthcore-demo." + program.default_group;
        o.event_types = program.default_events;
        o.database_path = fresh_consumer_database(options, program);
        o.idle_exit = seconds{10};
        const de::subscription subscribed(o.event_types, de::topic_prefix_of(settings), settings.routing);
        std::uint64_t expected = 0;
        for (const auto& [type, n] : recorded) expected += subscribed.matches(type) ? static_cast<std::uint64_t>(n) : 0;
        runs[i] = {program.name, o.database_path, {}};
        auto& slot = consumers[i];  // filled before run(), the only place the report is called from
        consumers[i] = de::make_program_consumer(program, settings, std::move(o),
                                                 [&slot, expected, applied = std::uint64_t{0}](const de::event&, std::string_view) mutable {
                                                     if (++applied >= expected) slot->stop();
                                                 });
        if (expected == 0) consumers[i].reset();  // nothing of its types today: nothing to wait for
    }
    std::vector<std::exception_ptr> failures(programs.size());
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < programs.size(); ++i) {
            if (!consumers[i]) continue;
            threads.emplace_back([&, i] {
                try {
                    runs[i].counters = consumers[i]->run();
                } catch (...) {
                    failures[i] = std::current_exception();
                }
            });
        }
    }  // joined
    for (const auto& failure : failures) {
        if (failure) std::rethrow_exception(failure);
    }
    for (std::size_t i = 0; i < programs.size(); ++i) {
        de::database db(runs[i].database_path);
        std::printf("consumer %s: applied %llu, duplicates skipped %llu, dead-lettered %llu; %s\n", runs[i].name.c_str(),
                    static_cast<unsigned long long>(runs[i].counters.applied),
                    static_cast<unsigned long long>(runs[i].counters.duplicates),
                    static_cast<unsigned long long>(runs[i].counters.dead_lettered), programs[i].describe(db).c_str());
    }
    return runs;
}

// The read model against its source: "equals" or the first difference.
void print_directory_check(de::database& source, const std::string& directory_path) {
    de::database directory(directory_path);
    const auto differences = hcc::directory_differences(directory, source);
    if (differences.empty()) {
        std::printf("patient directory: equals the patients table\n");
    } else {
        std::printf("patient directory: %zu patients differ from the patients table, first: %s\n", differences.size(),
                    differences.front().c_str());
    }
}

int run(const demo_options& options) {
    auto settings = de::config_from_environment(de::process_environment());
    settings.database_path = options.db_path;
    if (settings.source == de::config{}.source) settings.source = "healthcore-demo";
    hc::configure(settings);
    const auto embedded = options.relay ? de::embedded_cluster_unless_configured(settings) : nullptr;
    if (embedded) {
        std::printf("no KAFKA_BOOTSTRAP_SERVERS: publishing to librdkafka's embedded mock cluster at %s\n"
                    "(in memory; set KAFKA_BOOTSTRAP_SERVERS to use a real broker)\n",
                    settings.bootstrap_servers.c_str());
    } else if (options.relay && settings.kafka_enabled) {
        std::printf("publishing to Kafka at %s\n", settings.bootstrap_servers.c_str());
    }

    de::database db(options.db_path);
    hc::install_schema(db);
    de::model_signals signals;
    de::publisher events(db, signals, settings);
    // Without the relay (--no-relay, KAFKA_ENABLED=false) the day is only written.
    std::optional<de::relay> relay;
    de::scoped_connection wake;  // declared after the relay: must not outlive it
    if (options.relay && settings.kafka_enabled) {
        relay.emplace(settings);
        wake = relay->wake_on_commit(events);
        relay->start();
    }

    std::printf("clinic day: %d patients, %d appointments, seed %u, database %s\n", options.patients,
                options.appointments, options.seed, options.db_path.c_str());
    const auto recorded = run_clinic_day(db, signals, events, options);
    for (const auto& [type, n] : recorded) std::printf("  %-24s %6d recorded\n", type.c_str(), n);

    std::uint64_t published = 0;
    if (relay) {
        const bool all = relay->wait_until_published(seconds{120});
        published = relay->counters().published;
        relay->stop();
        std::printf("relay: %llu events published to topics %s.*%s\n", static_cast<unsigned long long>(published),
                    de::topic_prefix_of(settings).c_str(), all ? "" : " (not all within 120 s)");
    } else {
        std::printf("relay not run here (%s): publish the backlog with\n  domain-events relay --db %s\n",
                    options.relay ? "KAFKA_ENABLED=false" : "--no-relay", options.db_path.c_str());
    }
    std::uint64_t consumed = 0;
    std::uint64_t duplicates = 0;
    if (relay) {
        for (const auto& r : run_consumers(settings, options, recorded)) {
            consumed += r.counters.applied;
            duplicates += r.counters.duplicates;
            if (r.name == hcc::patient_directory_program().name) print_directory_check(db, r.database_path);
        }
    }
    const auto counts = de::outbox(db).counts(de::now_ms());
    std::printf("outbox: %lld pending, %lld published, %lld dead\n", static_cast<long long>(counts.pending),
                static_cast<long long>(counts.published), static_cast<long long>(counts.dead));
    std::printf("summary: written %d, published %llu, consumed %llu, duplicates skipped %llu\n", total(recorded),
                static_cast<unsigned long long>(published), static_cast<unsigned long long>(consumed),
                static_cast<unsigned long long>(duplicates));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"healthcore_demo: a clinic's day, its events through the outbox to Kafka"};
    demo_options options;
    bool no_relay = false;
    app.add_option("--db", options.db_path, "SQLite file for the clinic tables and the outbox");
    app.add_option("--patients", options.patients, "patients to create")->check(CLI::Range(1, 10'000'000));
    app.add_option("--appointments", options.appointments, "appointments to book")->check(CLI::Range(0, 10'000'000));
    app.add_flag("--no-relay", no_relay, "only write (a separate `domain-events relay` publishes)");
    app.add_option("--seed", options.seed, "seed of the random choices (same seed, same day)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;  // --help is 0; every bad or unknown flag is 2, named by CLI11
    }
    options.relay = !no_relay;
    try {
        return run(options);
    } catch (const std::exception& e) {  // de::error, and anything else: a message, not a terminate
        std::fprintf(stderr, "healthcore_demo: %s\n", e.what());
        return 1;
    }
}
