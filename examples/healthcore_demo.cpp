// The end-to-end demo (the README's first command, through scripts/demo.sh): a clinic's day
// through the domain's repositories — patients created, some updated, appointments booked, some
// cancelled or completed, one patient deleted — every write recording its event in the outbox in
// the same transaction; the relay publishing them to Kafka; a summary of what was written and
// published. Kafka is librdkafka's in-process mock cluster unless KAFKA_BOOTSTRAP_SERVERS is set.
//
//   healthcore_demo [--db PATH] [--patients N] [--appointments N] [--no-relay] [--seed N]
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <domain_events/domain_events.hpp>
#include <healthcore/appointment.hpp>
#include <healthcore/clinic.hpp>
#include <healthcore/errors.hpp>
#include <healthcore/patient.hpp>

namespace de = domain_events;
namespace hc = healthcore;
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
                    settings.topic_prefix.c_str(), all ? "" : " (not all within 120 s)");
    } else {
        std::printf("relay not run here (%s): publish the backlog with\n  domain-events relay --db %s\n",
                    options.relay ? "KAFKA_ENABLED=false" : "--no-relay", options.db_path.c_str());
    }
    const auto counts = de::outbox(db).counts(de::now_ms());
    std::printf("outbox: %lld pending, %lld published, %lld dead\n", static_cast<long long>(counts.pending),
                static_cast<long long>(counts.published), static_cast<long long>(counts.dead));
    std::printf("summary: written %d, published %llu\n", total(recorded), static_cast<unsigned long long>(published));
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
    } catch (const de::error& e) {
        std::fprintf(stderr, "healthcore_demo: %s\n", e.what());
        return 1;
    }
}
