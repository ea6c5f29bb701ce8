// The gateway over real sockets: in-process on a free port (limits, the client's address as its
// rate-limit key) and as the `domain-events gateway` process stopped by SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include <httplib.h>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "gateway_fixture.hpp"

namespace de = domain_events;
using json = nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

using gateway_process_test = de::testing::gateway_test;

httplib::Client client_of(int port) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(10s);
    c.set_read_timeout(30s);
    c.set_keep_alive(true);
    return c;
}

TEST_F(gateway_process_test, over_a_socket_bodies_are_bounded_and_clients_are_told_apart_by_address) {
    auto& gateway = start_gateway(R"({"event_types": {"order.placed": {}}, "max_body_bytes": 2048,
                                      "rate_limit": {"requests_per_second": 0.001, "burst": 3}})");
    const int port = gateway.start({"127.0.0.1", 0});
    auto c = client_of(port);
    auto big = order("o-1", {{"text", std::string(4096, 'x')}});
    const auto too_large = c.Post("/api/v1/events", big.dump(), "application/json");
    ASSERT_TRUE(too_large);
    EXPECT_EQ(too_large->status, 413);
    const auto not_json = c.Post("/api/v1/events", order("o-1").dump(), "text/plain");
    ASSERT_TRUE(not_json);
    EXPECT_EQ(not_json->status, 415);
    const auto accepted = c.Post("/api/v1/events", order("o-1").dump(), "application/json");
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted->status, 202);
    // The three tokens of 127.0.0.1 are spent: the gate runs first, so the 413 and the 415 took one each.
    int limited = 0;
    for (int i = 0; i < 4; ++i) {
        const auto r = c.Post("/api/v1/events", order("o-2").dump(), "application/json");
        ASSERT_TRUE(r);
        if (r->status == 429) {
            ++limited;
            EXPECT_TRUE(r->has_header("Retry-After"));
        }
    }
    EXPECT_EQ(limited, 4);
    EXPECT_EQ(rows().size(), 1u);
}

TEST_F(gateway_process_test, sigterm_stops_the_command_after_it_published_every_event_it_accepted) {
    create_topics({"order.placed", "order.paid"});
    const auto settings_file = dir.file("gateway.json");
    std::ofstream(settings_file) << de::testing::two_types_settings;
    de::testing::child_process child({DOMAIN_EVENTS_CLI, "gateway", "--config", settings_file, "--listen", "127.0.0.1:0",
                                      "--db", db_path},
                                     {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()}, {"KAFKA_TOPIC_PREFIX", prefix}},
                                     dir.file("gateway.log"));
    const auto port = de::testing::announced_port(child, "gateway: listening on http://127.0.0.1:");
    ASSERT_TRUE(port) << child.output();
    auto c = client_of(*port);
    for (int i = 0; i < 20; ++i) {
        const auto r = c.Post("/api/v1/events", order("o-" + std::to_string(i)).dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 202) << r->body;
    }
    const auto ready = c.Get("/health/ready");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait(60s), 0) << child.output();
    EXPECT_EQ(counts().pending, 0);
    EXPECT_EQ(counts().published, 20);
    EXPECT_THAT(child.output(), HasSubstr("gateway: stopped; published 20, pending 0"));
}

TEST_F(gateway_process_test, a_bad_settings_file_stops_the_command_naming_the_field) {
    const auto settings_file = dir.file("gateway.json");
    std::ofstream(settings_file) << R"({"event_types": {"order.placed": {"max_depth": 1}}})";
    const auto [status, output] = de::testing::run_command(
        {DOMAIN_EVENTS_CLI, "gateway", "--config", settings_file, "--db", db_path},
        {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()}, {"KAFKA_TOPIC_PREFIX", prefix}}, dir.file("bad.log"));
    EXPECT_EQ(status, 2);
    EXPECT_THAT(output, HasSubstr("event_types.order.placed.max_depth: must be 2..1000"));
}

}  // namespace
