// The example consumers (consumers/) on the mock cluster: the patient directory equals its source
// table under both routings, also when updates arrive before their creates and every event
// twice; the executables as a user runs them (flags, bounded runs, one line per event, summary).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <domain_events/ops/consumer_program.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/publish/topic_routing.hpp>
#include <healthcore/appointment.hpp>
#include <healthcore/clinic.hpp>
#include <healthcore/consumers/notifications.hpp>
#include <healthcore/consumers/patient_directory.hpp>
#include <healthcore/patient.hpp>

#include <httplib.h>
#include <signal.h>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "child_process.hpp"
#include "event_producer.hpp"
#include "eventually.hpp"
#include "mock_cluster_test.hpp"
#include "sql_scalar.hpp"

namespace de = domain_events;
namespace hc = healthcore;
namespace hcc = healthcore::consumers;
using namespace std::chrono;

namespace {

class example_consumers : public de::testing::mock_cluster_test {
protected:
    example_consumers() : mock_cluster_test("excons") {}

    de::config settings(de::topic_routing routing) const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = prefix;
        c.routing = routing;
        c.database_path = db_path;
        hc::configure(c);
        return c;
    }

    // A clinic's history in the outbox (nothing published): 12 patients, every third one moving
    // twice (v2, v3), every fourth one deleted, and four appointments, two of them cancelled.
    void write_clinic(const de::config& c) {
        de::database db(db_path);
        hc::install_schema(db);
        de::model_signals signals;
        de::publisher events(db, signals, c);
        hc::patient_repository patients(db, signals);
        hc::appointment_repository appointments(db, events);
        for (int n = 1; n <= 12; ++n) {
            const auto p = patients.create({.name = "Patient " + std::to_string(n),
                                            .email = "p" + std::to_string(n) + "@example.org",
                                            .phone = "",
                                            .date_of_birth = hc::parse_date("date_of_birth", "1970-05-06"),
                                            .national_id = "NI" + std::to_string(n)});
            if (n % 3 == 0) {
                patients.update(p.id, {.email = "moved" + std::to_string(n) + "@example.org"});
                patients.update(p.id, {.name = "Moved Patient " + std::to_string(n), .phone = "+44 20 7946 0001"});
            }
            if (n % 4 == 0) patients.remove(p.id);
        }
        for (int n = 1; n <= 4; ++n) {
            const auto a = appointments.book({.patient_id = n % 2 + 1,
                                              .doctor = "Dr. Quinn",
                                              .reason = "check-up",
                                              .scheduled_at = floor<milliseconds>(system_clock::now()) + days{n}});
            if (n % 2 == 0) appointments.cancel(a.id, "patient called");
        }
    }

    // The outbox's events (published or not) whose type starts with `type_prefix`, in commit order.
    std::vector<de::event> committed(const std::string& type_prefix) const {
        de::database db(db_path);
        auto q = db.prepare("SELECT payload FROM domain_events_outbox WHERE event_type LIKE ? || '%' ORDER BY position");
        q->bind_all(type_prefix);
        std::vector<de::event> out;
        while (q->step()) out.push_back(de::parse_event(q->column_text_view(0)));
        return out;
    }

    // Produces `events` in the given order to the topics `c` routes them to.
    void produce(const de::config& c, const std::vector<de::event>& events) const {
        std::vector<de::testing::outgoing> records;
        for (const auto& e : events)
            records.push_back(de::testing::as_record(e, de::topic_for(topic_prefix_of(c), c.routing, e.event_type, e.aggregate_type)));
        de::testing::produce_all(c.bootstrap_servers, records);
    }

    // Runs `program` in-process until it handled `messages` messages (or 30 s without one);
    // returns its counters and what it reported per applied event.
    std::pair<de::consumer_counters, std::vector<std::string>> consume(const de::consumer_program& program,
                                                                       const de::config& c, std::uint64_t messages) {
        de::consumer_options o;
        o.group_id = program.default_group;
        o.event_types = program.default_events;
        o.database_path = directory_path;
        o.max_events = messages;
        o.idle_exit = seconds{30};
        std::vector<std::string> reports;
        const auto consumer = de::make_program_consumer(program, c, o, [&reports](const de::event& e, std::string_view report) {
            reports.push_back(e.event_type + " v" + std::to_string(e.aggregate_version) + ": " + std::string(report));
        });
        return {consumer->run(), reports};
    }

    std::vector<std::string> differences() {
        de::database directory(directory_path);
        de::database source(db_path);
        return hcc::directory_differences(directory, source);
    }

    static std::string joined(const std::vector<std::string>& lines) {
        std::string all;
        for (const auto& line : lines) all += line + "\n";
        return all;
    }

    std::string directory_path = dir.file("directory.db");
};

TEST_F(example_consumers, directory_equals_the_source_per_event_type_with_updates_before_creates_and_every_event_twice) {
    const auto c = settings(de::topic_routing::per_event_type);
    write_clinic(c);
    // The worst order two topics allow and more: deletions first, then updates, then creates,
    // each newest version first; then the whole batch again.
    auto events = committed("patient.");
    ASSERT_EQ(events.size(), 23u) << "12 created, 4 moved twice, 3 deleted";
    const auto rank = [](const de::event& e) { return e.event_type == "patient.deleted" ? 0 : e.event_type == "patient.updated" ? 1 : 2; };
    std::stable_sort(events.begin(), events.end(), [&rank](const de::event& a, const de::event& b) {
        return std::pair(rank(a), -a.aggregate_version) < std::pair(rank(b), -b.aggregate_version);
    });
    create_topics({"patient.created", "patient.updated", "patient.deleted"});
    produce(c, events);
    produce(c, events);

    const auto [counters, reports] = consume(hcc::patient_directory_program(), c, 2 * events.size());
    EXPECT_EQ(counters.applied, events.size()) << joined(reports);
    EXPECT_EQ(counters.duplicates, events.size());
    EXPECT_NE(joined(reports).find("parked until v1"), std::string::npos) << "the order was adversarial:\n" << joined(reports);
    const auto diff = differences();
    EXPECT_TRUE(diff.empty()) << joined(diff) << joined(reports);
    de::database directory(directory_path);
    EXPECT_EQ(de::testing::scalar(directory, "SELECT count(*) FROM directory_patient"), 9) << "12 created, 3 deleted";
    EXPECT_EQ(de::testing::scalar(directory, "SELECT count(*) FROM directory_parked"), 0);
}

TEST_F(example_consumers, directory_equals_the_source_per_aggregate_published_by_the_relay_and_replayed) {
    const auto c = settings(de::topic_routing::per_aggregate);
    write_clinic(c);
    cluster.create_topic(de::topic_for(prefix, c.routing, "patient.created", "patient"), 4, 3);
    cluster.create_topic(de::topic_for(prefix, c.routing, "appointment.booked", "appointment"), 4, 3);
    {
        de::relay relay(c);
        relay.start();
        ASSERT_TRUE(relay.wait_until_published(seconds{60}));
        relay.stop();
    }
    const auto events = committed("patient.");
    ASSERT_EQ(events.size(), 23u) << "12 created, 4 moved twice, 3 deleted";
    produce(c, events);  // a replayed batch, in commit order as per_aggregate keeps it

    const auto [counters, reports] = consume(hcc::patient_directory_program(), c, 2 * events.size());
    EXPECT_EQ(counters.applied, events.size()) << joined(reports);
    EXPECT_EQ(counters.duplicates, events.size());
    const auto diff = differences();
    EXPECT_TRUE(diff.empty()) << joined(diff) << joined(reports);
}

// A batch applies several events in one transaction before any is reported: each report must
// still be its own handler's words.
TEST_F(example_consumers, each_applied_event_is_reported_with_its_own_handlers_words_when_a_batch_holds_several) {
    create_topics({"patient.created"});
    const auto c = settings(de::topic_routing::per_event_type);
    std::vector<de::event> events;
    for (int id = 1; id <= 20; ++id) events.push_back(de::make_event("patient.created", "patient", std::to_string(id), 1, {{"n", id}}));
    produce(c, events);
    de::consumer_program echo{.name = "echo-consumer",
                              .description = "reports the aggregate id",
                              .default_group = "echo",
                              .default_events = {"patient.created"},
                              .default_database = directory_path,
                              .default_topic_prefix = {},
                              .schema = {},
                              .handlers = {{"patient.created", [](const de::event& e, de::database&) { return "saw " + e.aggregate_id; }}},
                              .fallback = {},
                              .describe = {}};
    std::uint64_t commits_seen = 0;
    de::consumer_options o;
    o.group_id = "echo";
    o.event_types = {"patient.created"};
    o.database_path = directory_path;
    o.max_events = events.size();
    o.idle_exit = seconds{30};
    o.max_batch_delay = seconds{10};  // batches end when the queue is empty or at max_events
    std::map<std::string, std::string> reported;
    const auto consumer = de::make_program_consumer(echo, c, o, [&](const de::event& e, std::string_view report) {
        ++commits_seen;
        reported[e.aggregate_id] = std::string(report);
    });
    const auto counters = consumer->run();
    ASSERT_EQ(counters.applied, events.size());
    ASSERT_EQ(commits_seen, events.size());
    for (const auto& e : events) EXPECT_EQ(reported[e.aggregate_id], "saw " + e.aggregate_id);
}

TEST_F(example_consumers, notifications_record_one_row_per_event_even_with_a_cancellation_first_and_redeliveries) {
    const auto c = settings(de::topic_routing::per_event_type);
    write_clinic(c);
    auto events = committed("appointment.");
    std::reverse(events.begin(), events.end());  // cancellations before their bookings
    create_topics({"appointment.booked", "appointment.cancelled"});
    produce(c, events);
    produce(c, events);

    const auto [counters, reports] = consume(hcc::notifications_program(), c, 2 * events.size());
    EXPECT_EQ(counters.applied, events.size()) << joined(reports);
    de::database notifications(directory_path);
    EXPECT_EQ(de::testing::scalar(notifications, "SELECT count(*) FROM notification"), static_cast<std::int64_t>(events.size()));
    EXPECT_EQ(de::testing::scalar(notifications, "SELECT count(DISTINCT event_id) FROM notification"),
              static_cast<std::int64_t>(events.size()));
    EXPECT_EQ(de::testing::scalar(notifications, "SELECT count(*) FROM notification WHERE kind = 'reminder' AND status = 'scheduled'"), 2)
        << "four booked, two cancelled:\n" << joined(reports);
    EXPECT_NE(joined(reports).find("reminder scheduled for "), std::string::npos) << joined(reports);
}

// --- the executables ---------------------------------------------------------------------

struct executable {
    std::string path;
    const char* events;  // what to subscribe the bounded run to
};

const std::vector<executable> executables{{AUDIT_LOG_CONSUMER, "patient.created"},
                                          {NOTIFICATION_CONSUMER, "appointment.booked"},
                                          {PATIENT_DIRECTORY_CONSUMER, "patient.created"}};

std::vector<std::string> lines_starting(const std::string& output, const std::string& start) {
    std::vector<std::string> found;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(start)) found.push_back(line);
    }
    return found;
}

TEST_F(example_consumers, a_bad_flag_exits_2_and_names_it) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--bogus"}, "--bogus"},
        {{"--max-events", "-1"}, "--max-events"},
        {{"--idle-exit", "soon"}, "--idle-exit"},
        {{"--bootstrap-servers", cluster.bootstrap_servers(), "--group", ""}, "--group"},
        {{"--group", "g"}, "--bootstrap-servers"},  // none given and none in the environment
        {{"--bootstrap-servers", cluster.bootstrap_servers(), "--http", "127.0.0.1:http"}, "--http"},
    };
    for (const auto& program : executables) {
        for (const auto& [args, named] : cases) {
            std::vector<std::string> argv{program.path, "--db", dir.file("bad.db")};
            argv.insert(argv.end(), args.begin(), args.end());
            const auto [status, output] = de::testing::run_command(argv, {{"KAFKA_BOOTSTRAP_SERVERS", ""}}, dir.file("bad.log"));
            EXPECT_EQ(status, 2) << program.path << " " << named << ":\n" << output;
            EXPECT_NE(output.find(named), std::string::npos) << program.path << ":\n" << output;
        }
    }
}

TEST_F(example_consumers, each_executable_prints_a_line_per_applied_event_and_a_summary_and_stops_when_bounded) {
    const std::vector<de::event> events{
        de::make_event("patient.created", "patient", "1", 1,
                       {{"patient_id", 1}, {"name", "Ada"}, {"email", "ada@example.org"}, {"phone", ""},
                        {"date_of_birth", "1815-12-10"}, {"created_at", "2026-01-01T00:00:00.000Z"},
                        {"updated_at", "2026-01-01T00:00:00.000Z"}}),
        de::make_event("appointment.booked", "appointment", "7", 1,
                       {{"appointment_id", 7}, {"patient_id", 1}, {"doctor", "Dr. Quinn"}, {"reason", "check-up"},
                        {"scheduled_at", "2026-03-02T08:30:00.000Z"}, {"status", "booked"}})};
    create_topics({"patient.created", "appointment.booked"});
    const auto c = settings(de::topic_routing::per_event_type);
    produce(c, events);
    produce(c, events);  // each topic: the event, then its redelivery
    for (std::size_t i = 0; i < executables.size(); ++i) {
        const auto& program = executables[i];
        const auto db = dir.file(std::string(program.events) + std::to_string(i) + ".db");
        const std::vector<std::string> argv{program.path,      "--events", program.events, "--group", "g" + std::to_string(i),
                                            "--db",            db,         "--bootstrap-servers",       cluster.bootstrap_servers(),
                                            "--from-beginning", "--max-events", "1",       "--idle-exit", "60"};
        // Short sessions, as the consumer scenarios use: the rerun's join does not wait out the first run's.
        const auto env = std::map<std::string, std::string>{{"KAFKA_TOPIC_PREFIX", prefix},
                                                            {"KAFKA_PROPERTY_SESSION_TIMEOUT_MS", "6000"},
                                                            {"KAFKA_PROPERTY_HEARTBEAT_INTERVAL_MS", "500"}};
        // Bounded by --max-events: the one event of its subscription, then the summary.
        const auto [status, output] = de::testing::run_command(argv, env, db + ".log", seconds{90});
        ASSERT_EQ(status, 0) << program.path << ":\n" << output;
        const auto applied = lines_starting(output, "applied ");
        ASSERT_EQ(applied.size(), 1u) << output;
        EXPECT_NE(applied[0].find(" v1 "), std::string::npos) << applied[0];
        EXPECT_EQ(lines_starting(output, "summary: applied 1, duplicates skipped 0,").size(), 1u) << output;

        // The redelivery, bounded by --idle-exit: recognised, nothing applied.
        auto again = argv;
        again.erase(again.begin() + 10, again.begin() + 12);  // drop --max-events 1
        again.back() = "15";                                   // --idle-exit 15 (the group join included)
        const auto [status2, output2] = de::testing::run_command(again, env, db + ".again.log", seconds{90});
        ASSERT_EQ(status2, 0) << output2;
        EXPECT_TRUE(lines_starting(output2, "applied ").empty()) << output2;
        EXPECT_EQ(lines_starting(output2, "summary: applied 0, duplicates skipped 1,").size(), 1u) << output2;
    }
    de::database notifications(dir.file("appointment.booked1.db"));
    EXPECT_EQ(de::testing::scalar(notifications, "SELECT count(*) FROM notification"), 1) << "never two for one event";
}

// A valid envelope under the size limit whose data is 200,000 levels deep crashed the audit log
// (a stack overflow in its handler's dump()) on every restart, so the group never moved past it.
TEST_F(example_consumers, a_message_nested_200000_levels_deep_is_dead_lettered_and_the_next_event_applied) {
    create_topics({"patient.created"});
    const auto c = settings(de::topic_routing::per_event_type);
    const auto poison = de::testing::test_event("patient.created", "1", 1);
    auto record = de::testing::as_record(poison, de::topic_for(topic_prefix_of(c), c.routing, poison.event_type, poison.aggregate_type));
    const std::string deep(200000, '[');
    record.value = de::serialize(poison);
    record.value.replace(record.value.find("\"data\":{") + 8, 0, "\"deep\":" + deep + std::string(200000, ']') + ",");
    const auto good = de::testing::test_event("patient.created", "2", 1);
    de::testing::produce_all(c.bootstrap_servers, {record, de::testing::as_record(good, record.topic)});

    const auto db = dir.file("audit.db");
    const std::vector<std::string> argv{AUDIT_LOG_CONSUMER, "--events", "patient.created", "--group", "deep", "--db", db,
                                        "--bootstrap-servers", cluster.bootstrap_servers(), "--from-beginning",
                                        "--idle-exit", "15"};
    const auto env = std::map<std::string, std::string>{{"KAFKA_TOPIC_PREFIX", prefix}};
    const auto [status, output] = de::testing::run_command(argv, env, db + ".log", seconds{90});
    ASSERT_EQ(status, 0) << output;
    const auto applied = lines_starting(output, "applied ");
    ASSERT_EQ(applied.size(), 1u) << output;
    EXPECT_NE(applied[0].find(good.event_id), std::string::npos) << applied[0];
    EXPECT_EQ(lines_starting(output, "summary: applied 1, duplicates skipped 0, dead-lettered 1,").size(), 1u) << output;
}

// --http: the consumer's health and metrics while it runs, then a clean stop on SIGTERM.
TEST_F(example_consumers, an_executable_serves_health_and_metrics_with_http_and_stops_on_sigterm) {
    create_topics({"patient.created"});
    const auto c = settings(de::topic_routing::per_event_type);
    produce(c, {de::make_event("patient.created", "patient", "1", 1,
                               {{"patient_id", 1}, {"name", "Ada"}, {"email", "ada@example.org"}, {"phone", ""},
                                {"date_of_birth", "1815-12-10"}, {"created_at", "2026-01-01T00:00:00.000Z"},
                                {"updated_at", "2026-01-01T00:00:00.000Z"}})});
    de::testing::child_process audit({AUDIT_LOG_CONSUMER, "--events", "patient.created", "--group", "watched", "--db",
                                      dir.file("audit.db"), "--bootstrap-servers", cluster.bootstrap_servers(),
                                      "--from-beginning", "--http", "127.0.0.1:0"},
                                     {{"KAFKA_TOPIC_PREFIX", prefix}, {"LOG_LEVEL", "info"}}, dir.file("audit.log"));
    const auto port = de::testing::announced_port(audit, "http endpoint listening on 127.0.0.1:");
    ASSERT_TRUE(port) << audit.output();
    httplib::Client client("127.0.0.1", *port);
    client.set_read_timeout(30, 0);
    const auto live = client.Get("/health/live");
    ASSERT_TRUE(live);
    EXPECT_EQ(live->status, 200);
    const std::string applied_one = "\ndomain_events_consumer_applied_total{group=\"watched\"} 1\n";
    ASSERT_TRUE(de::testing::eventually([&] {
        const auto page = client.Get("/metrics");
        return page && page->body.find(applied_one) != std::string::npos;
    }, 60s)) << audit.output();
    const auto ready = client.Get("/health/ready");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200) << ready->body;
    audit.signal(SIGTERM);
    EXPECT_EQ(audit.wait(30s), 0) << audit.output();
    EXPECT_NE(audit.output().find("summary: applied 1, duplicates skipped 0,"), std::string::npos) << audit.output();
}

}  // namespace
