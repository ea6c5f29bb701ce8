// The relay as a process (`domain-events relay`) against the mock cluster hosted by this test:
// SIGKILL at random points, lease takeover between processes, graceful SIGTERM, `status`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/relay/relay_lease.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <nlohmann/json.hpp>

#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "child_process.hpp"
#include "delivery_verifier.hpp"
#include "eventually.hpp"
#include "kafka_client.hpp"
#include "mock_cluster_test.hpp"
#include "outbox_fill.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

class relay_process : public de::testing::mock_cluster_test {
protected:
    relay_process() : mock_cluster_test("relayproc") {}
    int runs = 0;

    void SetUp() override { create_topics({"patient.created", "patient.updated"}); }
    std::map<std::string, std::string> env() const {
        return {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()},
                {"KAFKA_TOPIC_PREFIX", prefix},
                {"DOMAIN_EVENTS_DB", db_path},
                {"DOMAIN_EVENTS_LEASE_PERIOD_MS", "1000"},
                {"LOG_LEVEL", "info"}};
    }
    std::unique_ptr<de::testing::child_process> start_relay(const std::string& owner,
                                                            const std::map<std::string, std::string>& more_env = {}) {
        auto all_env = env();
        for (const auto& [name, value] : more_env) all_env.insert_or_assign(name, value);
        return std::make_unique<de::testing::child_process>(
            std::vector<std::string>{DOMAIN_EVENTS_CLI, "relay", "--owner-id", owner}, all_env,
            dir.file("relay-" + std::to_string(++runs) + ".log"));
    }
    std::optional<std::string> lease_owner() {
        de::database db(db_path);
        const auto lease = de::relay_lease(db, "observer", 1s).holder(de::now_ms());
        return lease ? std::optional(lease->owner) : std::nullopt;
    }
    template <class Condition>
    static bool eventually(Condition done, std::chrono::milliseconds limit = 120s) {
        return de::testing::eventually(done, limit);
    }
    void verify_everything_delivered() {
        auto c = de::testing::prefixed_config();
        c.topic_prefix = prefix;
        c.bootstrap_servers = cluster.bootstrap_servers();
        const auto result = de::testing::verify_outbox_delivered(db_path, c, 120s);
        EXPECT_TRUE(result.ok()) << de::testing::describe(result);
        std::cout << "[ verified ] " << de::testing::describe(result) << '\n';
        EXPECT_EQ(result.lost, 0u);
        EXPECT_EQ(result.reorders, 0u);
    }
};

TEST_F(relay_process, sigkill_at_random_points_during_a_drain_loses_and_reorders_nothing) {
    constexpr std::int64_t total = 50'000;
    de::testing::fill_outbox(db_path, {.events = total, .aggregates = 500});
    de::database observer(db_path);
    const auto published = [&] {
        auto q = observer.prepare("SELECT published FROM domain_events_outbox_stats WHERE id = 1");
        q->step();
        const auto n = q->column_int64(0);
        return n;
    };
    // Slow the drain down (small batches, 100 ms round trips) so that it spans all the kills.
    for (int broker = 1; broker <= 3; ++broker) cluster.set_round_trip_time(broker, 100ms);
    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pause_ms(50, 400);
    int killed_mid_drain = 0;
    for (int kill = 0; kill < 10; ++kill) {
        const auto owner = "killed-" + std::to_string(kill);
        auto relay = start_relay(owner, {{"KAFKA_PROPERTY_BATCH_NUM_MESSAGES", "100"}});
        ASSERT_TRUE(eventually([&] { return lease_owner() == owner; }, 30s)) << relay->output();
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));  // a random point of the drain
        relay->signal(SIGKILL);
        ASSERT_EQ(relay->wait(10s), 128 + SIGKILL);
        if (published() < total) ++killed_mid_drain;
    }
    EXPECT_GE(killed_mid_drain, 5) << "the drain finished too early to test crashes";
    auto last = start_relay("finisher");
    ASSERT_TRUE(eventually([&] { return lease_owner() == "finisher"; }, 30s)) << last->output();
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; })) << last->output();
    last->signal(SIGTERM);
    EXPECT_EQ(last->wait(30s), 0) << last->output();
    verify_everything_delivered();
}

TEST_F(relay_process, a_waiting_relay_takes_over_within_a_lease_period_after_the_holder_is_killed) {
    // Long enough that a live holder on a loaded machine (sanitizers, two cores) keeps renewing.
    const std::map<std::string, std::string> lease{{"DOMAIN_EVENTS_LEASE_PERIOD_MS", "3000"}};
    de::testing::fill_outbox(db_path, {.events = 1, .aggregates = 1});
    auto holder = start_relay("holder", lease);
    ASSERT_TRUE(eventually([&] { return lease_owner() == "holder"; }, 30s)) << holder->output();
    auto standby = start_relay("standby", lease);
    de::testing::fill_outbox(db_path, {.events = 2'000, .aggregates = 20});
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; }));
    EXPECT_EQ(lease_owner(), "holder");
    EXPECT_THAT(standby->output(), ::testing::Not(::testing::HasSubstr("holds the outbox lease")))
        << "holder:\n" << holder->output();

    de::database db(db_path);
    const auto before_kill = de::read_lease(db);
    ASSERT_TRUE(before_kill.has_value());
    ASSERT_EQ(before_kill->owner, "holder");
    holder->signal(SIGKILL);
    holder->wait(10s);
    // Taken over once the dead holder's last renewal expires, i.e. within one period of its death.
    ASSERT_TRUE(eventually([&] { return lease_owner() == "standby"; }, 15s)) << standby->output();
    const auto taken = de::read_lease(db);
    ASSERT_TRUE(taken.has_value());
    EXPECT_LE(before_kill->expires_at, de::now_ms());

    de::testing::fill_outbox(db_path, {.events = 1'000, .aggregates = 20});
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; })) << standby->output();
    standby->signal(SIGTERM);
    EXPECT_EQ(standby->wait(30s), 0);
    verify_everything_delivered();
}

TEST_F(relay_process, sigterm_flushes_releases_the_lease_and_exits_zero) {
    de::testing::fill_outbox(db_path, {.events = 500, .aggregates = 5});
    auto relay = start_relay("graceful");
    ASSERT_TRUE(eventually([&] { return lease_owner() == "graceful"; }, 30s)) << relay->output();
    ASSERT_TRUE(eventually([&] { return counts().pending == 0; })) << relay->output();
    relay->signal(SIGTERM);
    EXPECT_EQ(relay->wait(30s), 0) << relay->output();
    EXPECT_FALSE(lease_owner().has_value());
    EXPECT_THAT(relay->output(), ::testing::HasSubstr("stopped; published 500"));
}

TEST_F(relay_process, status_reports_the_outbox_as_json_and_as_text) {
    de::testing::fill_outbox(db_path, {.events = 7, .aggregates = 2});
    const auto [code, out] =
        de::testing::run_command({DOMAIN_EVENTS_CLI, "status", "--db", db_path, "--json"}, {}, dir.file("status.log"));
    ASSERT_EQ(code, 0) << out;
    const auto status = nlohmann::json::parse(out);
    EXPECT_EQ(status.at("pending"), 7);
    EXPECT_EQ(status.at("published"), 0);
    EXPECT_EQ(status.at("dead"), 0);
    EXPECT_TRUE(status.at("oldest_pending_age_seconds").is_number());
    EXPECT_TRUE(status.at("lease").is_null());

    const auto [text_code, text] =
        de::testing::run_command({DOMAIN_EVENTS_CLI, "status", "--db", db_path}, {}, dir.file("status.txt"));
    EXPECT_EQ(text_code, 0);
    EXPECT_THAT(text, ::testing::ContainsRegex("pending +7"));
}

TEST_F(relay_process, bad_arguments_exit_two_and_name_the_argument) {
    const auto missing = dir.file("missing.db");
    const auto [status_code, status_out] =
        de::testing::run_command({DOMAIN_EVENTS_CLI, "status", "--db", missing}, {}, dir.file("a.log"));
    EXPECT_EQ(status_code, 2);
    EXPECT_THAT(status_out, ::testing::HasSubstr(missing));
    EXPECT_FALSE(std::filesystem::exists(missing));  // never created by a read-only command

    const auto [relay_code, relay_out] =
        de::testing::run_command({DOMAIN_EVENTS_CLI, "relay", "--db", missing}, env(), dir.file("b.log"));
    EXPECT_EQ(relay_code, 2);
    EXPECT_THAT(relay_out, ::testing::HasSubstr("--db"));

    const auto [routing_code, routing_out] = de::testing::run_command(
        {DOMAIN_EVENTS_CLI, "relay", "--routing", "sideways"}, env(), dir.file("c.log"));
    EXPECT_EQ(routing_code, 2);
    EXPECT_THAT(routing_out, ::testing::HasSubstr("--routing"));

    const auto [env_code, env_out] = de::testing::run_command(
        {DOMAIN_EVENTS_CLI, "status", "--db", db_path}, {{"DOMAIN_EVENTS_LEASE_PERIOD_MS", "abc"}}, dir.file("d.log"));
    EXPECT_EQ(env_code, 2);
    EXPECT_THAT(env_out, ::testing::HasSubstr("DOMAIN_EVENTS_LEASE_PERIOD_MS"));
}

}  // namespace
