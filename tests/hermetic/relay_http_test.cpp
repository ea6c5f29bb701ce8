// `domain-events relay --http`: real HTTP requests on 127.0.0.1 against the relay process,
// which publishes to the mock cluster hosted by this test. Readiness follows the brokers,
// /metrics passes `promtool check metrics`, a replayed dead letter is published again with its
// original event_id, and the admin token guards the POST route.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <domain_events/kafka/broker_probe.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/ops/health_server.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <nlohmann/json.hpp>

#include <fstream>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "kafka_client.hpp"
#include "outbox_fill.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

namespace {

using de::testing::eventually;

class relay_http : public ::testing::Test {
protected:
    de::embedded_cluster cluster{1};
    de::testing::temp_dir dir;
    std::string prefix = de::testing::unique_topic("relayhttp");
    std::string db_path = dir.file("outbox.db");
    std::unique_ptr<de::testing::child_process> relay;
    int port = 0;

    void SetUp() override { cluster.create_topic(de::topic_for_event_type(prefix, "patient.created"), 2, 1); }
    void TearDown() override {
        if (relay) {
            relay->signal(SIGTERM);
            EXPECT_EQ(relay->wait(30s), 0) << relay->output();
        }
    }

    // Starts the relay with --http on a port the OS picks, and reads that port from its log.
    void start_relay(const std::map<std::string, std::string>& more_env = {}) {
        std::map<std::string, std::string> env = {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()},
                                                  {"KAFKA_TOPIC_PREFIX", prefix},
                                                  {"DOMAIN_EVENTS_DB", db_path},
                                                  {"DOMAIN_EVENTS_LEASE_PERIOD_MS", "1000"},
                                                  {"LOG_LEVEL", "info"}};
        env.insert(more_env.begin(), more_env.end());
        relay = std::make_unique<de::testing::child_process>(
            std::vector<std::string>{DOMAIN_EVENTS_CLI, "relay", "--http", "127.0.0.1:0"}, env, dir.file("relay.log"));
        const auto announced = de::testing::announced_port(*relay, "http endpoint listening on 127.0.0.1:");
        ASSERT_TRUE(announced) << relay->output();
        port = *announced;
    }
    httplib::Result get(const std::string& path) {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(30, 0);
        return client.Get(path.c_str());
    }
    int status_of(const std::string& path) {
        const auto r = get(path);
        return r ? r->status : -1;
    }
    httplib::Result post(const std::string& path, const std::string& token) {
        httplib::Client client("127.0.0.1", port);
        httplib::Headers headers;
        if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
        return client.Post(path.c_str(), headers, "", "application/json");
    }
    de::outbox_counts counts() {
        de::database db(db_path);
        return de::outbox(db).counts(de::now_ms());
    }
    // One event dead-lettered before the relay starts; its {id, event_id}.
    std::pair<std::int64_t, std::string> one_dead_letter() {
        de::testing::fill_outbox(db_path, {.events = 1, .aggregates = 1, .types = {"patient.created"}});
        de::database db(db_path);
        de::outbox box(db);
        const auto row = box.next_batch(1).at(0);
        box.move_to_dead_letters(row.position, "Broker: Message size too large", de::now_ms());
        return {box.dead_letters(1).at(0).id, row.event_id};
    }
};

TEST_F(relay_http, health_routes_answer_and_readiness_follows_the_broker) {
    de::testing::fill_outbox(db_path, {.events = 20, .aggregates = 4, .types = {"patient.created"}});
    start_relay();
    EXPECT_EQ(status_of("/health/live"), 200);
    ASSERT_TRUE(eventually([&] { return status_of("/health/ready") == 200; })) << relay->output();
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; })) << relay->output();

    const auto detailed = get("/health/detailed");
    ASSERT_TRUE(detailed);
    EXPECT_EQ(detailed->status, 200);
    const auto d = nlohmann::json::parse(detailed->body);
    EXPECT_EQ(d.at("backlog"), 0);
    EXPECT_TRUE(d.at("lease_held").get<bool>());
    EXPECT_TRUE(d.at("broker").at("reachable").get<bool>());
    EXPECT_TRUE(d.contains("oldest_pending_age_seconds"));
    EXPECT_TRUE(d.contains("last_error"));

    cluster.set_broker_down(-1, true);
    ASSERT_TRUE(eventually([&] { return status_of("/health/ready") == 503; })) << relay->output();
    const auto down = get("/health/ready");
    ASSERT_TRUE(down);
    EXPECT_THAT(down->body, HasSubstr("Kafka is unreachable"));
    EXPECT_EQ(status_of("/health/live"), 200) << "alive while the broker is away";
    EXPECT_FALSE(nlohmann::json::parse(get("/health/detailed")->body).at("broker").at("reachable").get<bool>());

    cluster.set_broker_down(-1, false);
    EXPECT_TRUE(eventually([&] { return status_of("/health/ready") == 200; })) << relay->output();
    EXPECT_EQ(status_of("/nothing-here"), 404);
}

TEST_F(relay_http, metrics_pass_promtool_and_count_what_was_published) {
    de::testing::fill_outbox(db_path, {.events = 30, .aggregates = 3, .types = {"patient.created"}});
    start_relay();
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; })) << relay->output();
    const auto metrics = get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    EXPECT_THAT(metrics->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
    const auto& page = metrics->body;
    EXPECT_THAT(page, HasSubstr("\ndomain_events_relay_published_total 30\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_relay_pending_events 0\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_relay_commit_to_ack_seconds_count 30\n"));
    EXPECT_THAT(page, HasSubstr("domain_events_relay_commit_to_ack_seconds_bucket{le=\"+Inf\"} 30\n"));
    for (const auto* name : {"domain_events_relay_failed_attempts_total", "domain_events_relay_dead_lettered_total",
                             "domain_events_relay_rewinds_total", "domain_events_relay_producer_recreations_total",
                             "domain_events_relay_oldest_pending_age_seconds", "domain_events_outbox_dead_letters"}) {
        EXPECT_THAT(page, HasSubstr(std::string("\n# TYPE ") + name)) << name;
    }

    // CI installs promtool (Debian package prometheus, scripts/install-deps.sh): missing is a failure.
    const auto page_file = dir.file("metrics.txt");
    std::ofstream(page_file) << page;
    const auto [code, out] = de::testing::run_command({"/bin/sh", "-c", "promtool check metrics < '" + page_file + "'"}, {},
                                                      dir.file("promtool.log"));
    EXPECT_NE(code, 127) << "promtool is not installed: run scripts/install-deps.sh (package prometheus)";
    EXPECT_EQ(code, 0) << out;
}

TEST_F(relay_http, dead_letters_are_listed_and_a_replay_needs_the_admin_token_and_publishes_the_original_event_id) {
    const auto [id, event_id] = one_dead_letter();
    start_relay({{"DOMAIN_EVENTS_ADMIN_TOKEN", "s3cret-token"}});
    const auto list = get("/dead-letters");
    ASSERT_TRUE(list);
    EXPECT_EQ(list->status, 200);
    const auto letters = nlohmann::json::parse(list->body).at("dead_letters");
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].at("event_id"), event_id);
    EXPECT_EQ(status_of("/dead-letters?limit=0"), 400);
    const auto after = get("/dead-letters?after=" + std::to_string(id));
    ASSERT_TRUE(after);
    EXPECT_TRUE(nlohmann::json::parse(after->body).at("dead_letters").empty());

    const auto path = "/dead-letters/" + std::to_string(id) + "/replay";
    EXPECT_EQ(post(path, "").value().status, 403);
    EXPECT_EQ(post(path, "wrong-token").value().status, 403);
    EXPECT_EQ(counts().dead, 1) << "refused requests change nothing";
    EXPECT_EQ(post("/dead-letters/999/replay", "s3cret-token").value().status, 404);
    const auto past_int64 = post("/dead-letters/" + std::string(40, '9') + "/replay", "s3cret-token");
    EXPECT_EQ(past_int64.value().status, 404);
    EXPECT_THAT(past_int64->body, Not(HasSubstr("9999999999999999999")));  // the path is not repeated
    const auto replayed = post(path, "s3cret-token");
    ASSERT_TRUE(replayed);
    ASSERT_EQ(replayed->status, 200) << replayed->body;
    EXPECT_EQ(nlohmann::json::parse(replayed->body).at("event_id"), event_id);

    ASSERT_TRUE(eventually([&] { return counts().pending == 0 && counts().dead == 0; })) << relay->output();
    const auto records = de::testing::consume(cluster.bootstrap_servers(), de::topic_for_event_type(prefix, "patient.created"),
                                              "replay-check", 1, 60s);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].headers.at("event_id"), event_id);
    EXPECT_EQ(nlohmann::json::parse(records[0].value).at("event_id"), event_id);
}

TEST_F(relay_http, without_an_admin_token_the_mutating_route_is_off) {
    const auto [id, event_id] = one_dead_letter();
    start_relay();
    const auto refused = post("/dead-letters/" + std::to_string(id) + "/replay", "anything");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
    EXPECT_THAT(refused->body, HasSubstr("DOMAIN_EVENTS_ADMIN_TOKEN"));
    EXPECT_EQ(counts().dead, 1);
}

TEST_F(relay_http, cli_replay_then_tail_shows_the_event_published_with_its_original_event_id) {
    const auto [id, event_id] = one_dead_letter();
    const auto [code, out] = de::testing::run_command(
        {DOMAIN_EVENTS_CLI, "dead-letters", "replay", std::to_string(id), "--db", db_path}, {}, dir.file("replay.log"));
    ASSERT_EQ(code, 0) << out;
    start_relay();
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; })) << relay->output();
    const auto [tail_code, tailed] = de::testing::run_command(
        {DOMAIN_EVENTS_CLI, "tail", "--events", "patient.created", "--from-beginning", "--max", "1", "--timeout", "60",
         "--bootstrap-servers", cluster.bootstrap_servers(), "--db", db_path},
        {{"LOG_LEVEL", "off"}}, dir.file("tail.log"));
    ASSERT_EQ(tail_code, 0) << tailed << " - tail takes the prefix the relay recorded in the outbox";
    const auto envelope = nlohmann::json::parse(tailed);
    EXPECT_EQ(envelope.at("event_id"), event_id);
}

TEST_F(relay_http, a_relay_under_another_prefix_than_the_outbox_recorded_is_refused_naming_both) {
    de::testing::fill_outbox(db_path, {.events = 1, .aggregates = 1});
    start_relay();
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; })) << relay->output();
    relay->signal(SIGTERM);
    ASSERT_EQ(relay->wait(30s), 0) << relay->output();
    relay.reset();
    de::testing::fill_outbox(db_path, {.events = 1, .aggregates = 1});
    const auto [code, out] = de::testing::run_command(
        {DOMAIN_EVENTS_CLI, "relay"},
        {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()}, {"KAFKA_TOPIC_PREFIX", "elsewhere"},
         {"DOMAIN_EVENTS_DB", db_path}},
        dir.file("other-prefix.log"));
    EXPECT_EQ(code, 2) << out;
    EXPECT_THAT(out, HasSubstr("topic_prefix='elsewhere'"));
    EXPECT_THAT(out, HasSubstr("'" + prefix + "'"));
    EXPECT_EQ(counts().pending, 1) << "nothing published under the other prefix";
}

TEST_F(relay_http, bad_or_taken_http_addresses_exit_two_naming_the_address) {
    de::testing::fill_outbox(db_path, {.events = 1, .aggregates = 1});
    for (const auto* bad : {"127.0.0.1:http", "127.0.0.1:70000", ":9464"}) {
        const auto [code, out] = de::testing::run_command(
            {DOMAIN_EVENTS_CLI, "relay", "--http", bad},
            {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()}, {"KAFKA_TOPIC_PREFIX", prefix},
             {"DOMAIN_EVENTS_DB", db_path}},
            dir.file("bad.log"));
        EXPECT_EQ(code, 2) << bad << ": " << out;
        EXPECT_THAT(out, HasSubstr("--http '" + std::string(bad) + "'"));
    }
    de::health_server taken({}, {.ready = [] { return de::readiness{true, {}}; },
                                 .detailed = [] { return nlohmann::json::object(); },
                                 .metrics = [] { return std::string(); }});
    taken.start();
    const auto address = "127.0.0.1:" + std::to_string(taken.port());
    const auto [code, out] = de::testing::run_command(
        {DOMAIN_EVENTS_CLI, "relay", "--http", address},
        {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()}, {"KAFKA_TOPIC_PREFIX", prefix},
         {"DOMAIN_EVENTS_DB", db_path}},
        dir.file("taken.log"));
    EXPECT_EQ(code, 2) << out;
    EXPECT_THAT(out, HasSubstr(address));
    EXPECT_EQ(counts().pending, 1) << "nothing published: the port is checked before the relay starts";
}

TEST(broker_probe, reports_the_cluster_unreachable_while_its_brokers_are_down) {
    de::embedded_cluster cluster{1};
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = cluster.bootstrap_servers();
    de::broker_probe probe(c);
    EXPECT_TRUE(probe.check(10s).reachable);
    cluster.set_broker_down(-1, true);
    const auto down = probe.check(500ms);
    EXPECT_FALSE(down.reachable);
    EXPECT_FALSE(down.error.empty());
    cluster.set_broker_down(-1, false);
    EXPECT_TRUE(eventually([&] { return probe.check(1s).reachable; }));
    EXPECT_THROW(de::broker_probe{de::testing::prefixed_config()}, de::config_error);
}

}  // namespace
