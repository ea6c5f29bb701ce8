// The example REST API over real HTTP on 127.0.0.1 (a free port), its relay publishing to the
// mock cluster: every endpoint's success and error paths, nothing written on an error, and
// concurrent clients whose events all reach Kafka exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <domain_events/config.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "prefixed_config.hpp"
#include "api_server.hpp"
#include "build_tree.hpp"
#include "child_process.hpp"
#include "delivery_verifier.hpp"
#include "kafka_client.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

class healthcore_api_test : public ::testing::Test {
protected:
    de::config make_settings() const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = prefix;
        c.database_path = dir.file("api.db");
        return c;
    }

    httplib::Client client() const {
        httplib::Client c("127.0.0.1", port);
        c.set_connection_timeout(10s);
        c.set_read_timeout(60s);
        c.set_write_timeout(60s);
        return c;
    }

    // Sends a request and returns {status, parsed body (null when empty)}; fails the test on no answer.
    std::pair<int, json> call(const std::string& method, const std::string& path, const std::string& body = "") {
        auto c = client();
        httplib::Result r = method == "GET"      ? c.Get(path)
                            : method == "DELETE" ? c.Delete(path)
                            : method == "PUT"    ? c.Put(path, body, "application/json")
                                                 : c.Post(path, body, "application/json");
        if (!r) {
            ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(r.error());
            return {0, nullptr};
        }
        return {r->status, r->body.empty() ? json(nullptr) : json::parse(r->body)};
    }

    // Rows in the clinic tables and the outbox: an error must leave all three as they were.
    std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t> written() const {
        de::database db(make_settings().database_path);
        const auto count = [&](const char* sql) {
            auto q = db.prepare(sql);
            q->step();
            const auto n = q->column_int64(0);
            return n;
        };
        return {count("SELECT count(*) FROM patient"), count("SELECT coalesce(sum(version), 0) FROM patient"),
                count("SELECT count(*) FROM appointment"), count("SELECT coalesce(sum(version), 0) FROM appointment"),
                count("SELECT count(*) FROM domain_events_outbox")};
    }

    // Expects `status` with `field` named, and nothing written.
    void expect_refused(const std::string& method, const std::string& path, const std::string& body, int status,
                        const std::string& field) {
        const auto before = written();
        const auto [code, reply] = call(method, path, body);
        EXPECT_EQ(code, status) << method << " " << path << " " << body << " -> " << reply;
        if (code == status && !field.empty()) {
            EXPECT_EQ(reply.value("field", ""), field) << reply;
        }
        EXPECT_EQ(written(), before) << method << " " << path << " wrote something";
    }

    static std::string patient_json(const std::string& name, const std::string& email = "ada@example.org") {
        return json{{"name", name}, {"email", email}, {"phone", "+44 20 7946 0000"}, {"date_of_birth", "1815-12-10"},
                    {"national_id", "NID-SECRET-42"}}
            .dump();
    }

    std::int64_t create_patient(const std::string& name = "Ada Lovelace") {
        const auto [code, reply] = call("POST", "/api/v1/patients/", patient_json(name));
        EXPECT_EQ(code, 201) << reply;
        return reply.value("id", std::int64_t{0});
    }

    std::int64_t book(std::int64_t patient_id) {
        const auto [code, reply] = call("POST", "/api/v1/appointments/",
                                        json{{"patient_id", patient_id}, {"doctor", "Dr. Grey"}, {"reason", "check-up"},
                                             {"scheduled_at", "2026-03-01T09:30:00Z"}}
                                            .dump());
        EXPECT_EQ(code, 201) << reply;
        return reply.value("id", std::int64_t{0});
    }

    // Every event recorded, published or not (the relay may have published them already).
    std::vector<std::string> event_types() const {
        de::database db(make_settings().database_path);
        auto q = db.prepare("SELECT event_type FROM domain_events_outbox ORDER BY position");
        std::vector<std::string> types;
        while (q->step()) types.push_back(q->column_text(0));
        return types;
    }

    // Waits for the relay, then reads every topic back: each committed event in Kafka, in order.
    de::testing::verification expect_all_delivered(std::size_t events) {
        EXPECT_TRUE(server.relay().wait_until_published(120s));
        auto delivery = de::testing::verify_outbox_delivered(make_settings().database_path, make_settings(), 120s);
        EXPECT_TRUE(delivery.ok()) << de::testing::describe(delivery);
        EXPECT_EQ(delivery.committed, events);
        EXPECT_EQ(delivery.delivered, events);
        return delivery;
    }

    de::embedded_cluster cluster{1};
    de::testing::temp_dir dir;
    std::string prefix = de::testing::unique_topic("api");
    healthcore::api::server server{make_settings()};
    int port = server.start("127.0.0.1", 0);
};

TEST_F(healthcore_api_test, health_answers_ok_with_the_relay_running) {
    const auto [code, reply] = call("GET", "/health");
    EXPECT_EQ(code, 200);
    EXPECT_EQ(reply.at("status"), "ok");
    EXPECT_EQ(reply.at("relay").at("running"), true);
}

TEST_F(healthcore_api_test, patients_are_created_read_updated_and_deleted_with_their_events) {
    const auto [created_code, created] = call("POST", "/api/v1/patients/", patient_json("Ada Lovelace"));
    ASSERT_EQ(created_code, 201) << created;
    const auto id = created.at("id").get<std::int64_t>();
    const auto path = "/api/v1/patients/" + std::to_string(id);
    EXPECT_EQ(created.at("version"), 1);
    EXPECT_FALSE(created.contains("national_id")) << "the national id is write-only";

    const auto [got_code, got] = call("GET", path);
    EXPECT_EQ(got_code, 200);
    EXPECT_EQ(got, created);

    const auto [put_code, updated] = call("PUT", path, R"({"email": "ada@analytical.org"})");
    EXPECT_EQ(put_code, 200) << updated;
    EXPECT_EQ(updated.at("email"), "ada@analytical.org");
    EXPECT_EQ(updated.at("name"), "Ada Lovelace");
    EXPECT_EQ(updated.at("version"), 2);

    const auto [deleted_code, deleted] = call("DELETE", path);
    EXPECT_EQ(deleted_code, 204) << deleted;
    EXPECT_EQ(call("GET", path).first, 404);

    EXPECT_THAT(event_types(), ::testing::ElementsAre("patient.created", "patient.updated", "patient.deleted"));
    expect_all_delivered(3u);
}

TEST_F(healthcore_api_test, patient_errors_name_the_field_and_write_nothing) {
    const auto id = create_patient();
    const auto path = "/api/v1/patients/" + std::to_string(id);
    const std::string create = "/api/v1/patients/";

    expect_refused("POST", create, "{\"name\": \"Ada\", ", 400, "body");  // malformed JSON
    expect_refused("POST", create, "[1, 2]", 400, "body");
    expect_refused("POST", create, patient_json(""), 400, "name");
    expect_refused("POST", create, patient_json("Ada", "not-an-email"), 400, "email");
    expect_refused("POST", create, R"({"name": 42})", 400, "name");
    expect_refused("POST", create, R"({"email": "a@b.org"})", 400, "name");  // required
    expect_refused("POST", create,
                   R"({"name": "Ada", "email": "a@b.org", "date_of_birth": "2999-01-01", "national_id": "X"})", 400,
                   "date_of_birth");
    expect_refused("POST", create,
                   R"({"name": "Ada", "email": "a@b.org", "date_of_birth": "1815-13-10", "national_id": "X"})", 400,
                   "date_of_birth");
    expect_refused("POST", create, R"({"name": "Ada", "email": "a@b.org", "date_of_birth": "1815-12-10"})", 400,
                   "national_id");
    expect_refused("POST", create,
                   R"({"name": "Ada", "emial": "a@b.org", "date_of_birth": "1815-12-10", "national_id": "X"})", 400,
                   "emial");

    expect_refused("GET", "/api/v1/patients/999999", "", 404, "");
    expect_refused("PUT", "/api/v1/patients/999999", R"({"name": "Nobody"})", 404, "");
    expect_refused("PUT", path, R"({"email": "nope"})", 400, "email");
    expect_refused("PUT", path, R"({"name": "Ada", "date_of_birth": "2999-01-01"})", 400, "date_of_birth");
    expect_refused("PUT", path, "not json", 400, "body");
    expect_refused("DELETE", "/api/v1/patients/999999", "", 404, "");
    EXPECT_EQ(call("GET", path).second.at("version"), 1);
}

TEST_F(healthcore_api_test, appointments_are_booked_cancelled_and_completed_with_their_events) {
    const auto patient = create_patient();
    const auto to_cancel = book(patient);
    const auto to_complete = book(patient);

    const auto [cancel_code, cancelled] = call("POST", "/api/v1/appointments/" + std::to_string(to_cancel) + "/cancel",
                                               R"({"reason": "patient is travelling"})");
    EXPECT_EQ(cancel_code, 200) << cancelled;
    EXPECT_EQ(cancelled.at("status"), "cancelled");
    EXPECT_EQ(cancelled.at("cancellation_reason"), "patient is travelling");
    EXPECT_EQ(cancelled.at("version"), 2);

    const auto [complete_code, completed] =
        call("POST", "/api/v1/appointments/" + std::to_string(to_complete) + "/complete");
    EXPECT_EQ(complete_code, 200) << completed;
    EXPECT_EQ(completed.at("status"), "completed");
    EXPECT_EQ(completed.at("patient_id"), patient);

    const auto [list_code, listed] = call("GET", "/api/v1/patients/" + std::to_string(patient) + "/appointments");
    EXPECT_EQ(list_code, 200);
    ASSERT_EQ(listed.size(), 2u) << listed;
    EXPECT_EQ(listed[0].at("status"), "cancelled");
    EXPECT_EQ(listed[1].at("status"), "completed");
    EXPECT_EQ(call("GET", "/api/v1/patients/999999/appointments").first, 404);

    EXPECT_THAT(event_types(), ::testing::ElementsAre("patient.created", "appointment.booked", "appointment.booked",
                                                      "appointment.cancelled", "appointment.completed"));
    expect_all_delivered(5u);
}

TEST_F(healthcore_api_test, appointment_errors_and_illegal_transitions_write_nothing) {
    const auto patient = create_patient();
    const auto cancelled = book(patient);
    const auto completed = book(patient);
    const auto base = "/api/v1/appointments/";
    ASSERT_EQ(call("POST", base + std::to_string(cancelled) + "/cancel", R"({"reason": "travelling"})").first, 200);
    ASSERT_EQ(call("POST", base + std::to_string(completed) + "/complete").first, 200);

    const auto booking = [&](json fields) {
        json body{{"patient_id", patient}, {"doctor", "Dr. Grey"}, {"reason", "check-up"},
                  {"scheduled_at", "2026-03-01T09:30:00Z"}};
        body.update(fields);
        return body.dump();
    };
    expect_refused("POST", base, booking({{"patient_id", 999999}}), 404, "patient_id");
    expect_refused("POST", base, booking({{"patient_id", "one"}}), 400, "patient_id");
    expect_refused("POST", base, booking({{"scheduled_at", "tomorrow at nine"}}), 400, "scheduled_at");
    expect_refused("POST", base, booking({{"doctor", ""}}), 400, "doctor");
    expect_refused("POST", base, "{", 400, "body");

    expect_refused("POST", base + std::to_string(cancelled) + "/cancel", R"({"reason": "again"})", 409, "status");
    expect_refused("POST", base + std::to_string(cancelled) + "/complete", "", 409, "status");
    expect_refused("POST", base + std::to_string(completed) + "/cancel", R"({"reason": "late"})", 409, "status");
    expect_refused("POST", base + std::to_string(completed) + "/complete", "", 409, "status");
    expect_refused("POST", base + std::string("999999/cancel"), R"({"reason": "x"})", 404, "");
    expect_refused("POST", base + std::string("999999/complete"), "", 404, "");
    const auto open = book(patient);
    expect_refused("POST", base + std::to_string(open) + "/cancel", "{}", 400, "reason");
    expect_refused("POST", base + std::to_string(open) + "/cancel", "reason", 400, "body");

    // A patient with appointments is kept (docs/domain.md: delete policy).
    expect_refused("DELETE", "/api/v1/patients/" + std::to_string(patient), "", 409, "id");
}

TEST_F(healthcore_api_test, eight_concurrent_clients_create_2000_patients_each_published_exactly_once) {
    constexpr int clients = 8;
    constexpr int per_client = 250;
    std::atomic<int> created{0};
    std::mutex failures_mutex;
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            auto http = client();  // one keep-alive connection per client
            for (int i = 0; i < per_client; ++i) {
                const auto name = "Patient " + std::to_string(c) + "-" + std::to_string(i);
                const auto r = http.Post("/api/v1/patients/", patient_json(name), "application/json");
                if (r && r->status == 201) {
                    ++created;
                } else {
                    std::lock_guard lock(failures_mutex);
                    failures.push_back(name + ": " + (r ? std::to_string(r->status) + " " + r->body
                                                        : httplib::to_string(r.error())));
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
    ASSERT_EQ(created.load(), clients * per_client);

    const auto delivery = expect_all_delivered(2000);
    EXPECT_EQ(delivery.duplicates, 0u);
    const auto topic = de::topic_for_event_type(prefix, "patient.created");
    const auto messages = de::testing::read_all(cluster.bootstrap_servers(), {topic}, 120s);
    std::set<std::string> event_ids;
    for (const auto& m : messages) event_ids.insert(m.event_id);
    EXPECT_EQ(messages.size(), 2000u);
    EXPECT_EQ(event_ids.size(), 2000u) << "duplicate event ids in Kafka";
    EXPECT_FALSE(event_ids.contains(""));
    EXPECT_EQ(std::get<0>(written()), 2000);  // one event per patient row

    // Every create went through the group commit, and concurrent ones shared transactions.
    const auto [code, health] = call("GET", "/health");
    ASSERT_EQ(code, 200);
    const auto& writes = health.at("writes");
    EXPECT_EQ(writes.at("committed"), 2000);
    EXPECT_EQ(writes.at("rolled_back"), 0);
    EXPECT_LT(writes.at("transactions").get<int>(), 2000) << writes.dump();
    EXPECT_GT(writes.at("largest").get<int>(), 1) << writes.dump();
}

// The executable itself: the flags, the embedded cluster it announces, a graceful SIGTERM.
TEST(healthcore_api_process, serves_on_the_port_it_prints_and_stops_cleanly_on_sigterm) {
    de::testing::temp_dir dir;
    de::testing::child_process server({HEALTHCORE_API, "--port", "0", "--db", dir.file("api.db")},
                                      {{"KAFKA_BOOTSTRAP_SERVERS", ""}, {"KAFKA_ENABLED", "true"}},
                                      dir.file("server.out"));
    const auto announced = de::testing::announced_port(server, "listening on http://127.0.0.1:");
    ASSERT_TRUE(announced) << server.output();
    const int port = *announced;
    EXPECT_THAT(server.output(), ::testing::HasSubstr("no KAFKA_BOOTSTRAP_SERVERS: publishing to an embedded mock"));

    httplib::Client http("127.0.0.1", port);
    http.set_read_timeout(30s);
    const auto health = http.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    const auto created = http.Post("/api/v1/patients/",
                                   R"({"name": "Ada Lovelace", "email": "ada@example.org", "date_of_birth": "1815-12-10",
                                       "national_id": "NID-1"})",
                                   "application/json");
    ASSERT_TRUE(created);
    EXPECT_EQ(created->status, 201) << created->body;

    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(60s), 0) << server.output();
}

TEST(healthcore_api_process, a_bad_flag_exits_with_status_2_naming_the_flag) {
    de::testing::temp_dir dir;
    const auto [status, output] = de::testing::run_command({HEALTHCORE_API, "--port", "http"}, {}, dir.file("out"));
    EXPECT_EQ(status, 2);
    EXPECT_THAT(output, ::testing::HasSubstr("--port"));
}

}  // namespace
