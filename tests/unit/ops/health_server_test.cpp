// The HTTP endpoint shared by the relay and consumers, with real requests on 127.0.0.1:
// built-in routes, readiness codes, the admin token, handler errors, listen addresses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <domain_events/error.hpp>
#include <domain_events/ops/health_server.hpp>

#include <atomic>

namespace de = domain_events;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class health_server_test : public ::testing::Test {
protected:
    std::atomic<bool> ready{false};
    std::atomic<int> replays{0};

    std::unique_ptr<de::health_server> make(std::string token) {
        auto server = std::make_unique<de::health_server>(
            de::listen_address{},
            de::health_checks{.ready = [this] { return de::readiness{ready.load(), ready ? "" : "broker down"}; },
                              .detailed = [] { return nlohmann::json{{"backlog", 3}}; },
                              .metrics = [] { return std::string("x_total 1\n"); }},
            std::move(token));
        server->get(R"(/boom)", [](const auto&) -> de::http_response { throw std::runtime_error("disk on fire"); });
        server->post_admin(R"(/things/(\d+)/replay)", [this](const de::http_request& request) {
            ++replays;
            return de::json_response(200, {{"id", request.captures.at(0)}, {"reason", request.param("reason", "none")}});
        });
        server->start();
        return server;
    }
};

TEST_F(health_server_test, built_in_routes_answer_on_loopback) {
    const auto server = make("");
    ASSERT_GT(server->port(), 0);
    httplib::Client client("127.0.0.1", server->port());
    EXPECT_EQ(client.Get("/health/live").value().status, 200);
    const auto not_ready = client.Get("/health/ready");
    EXPECT_EQ(not_ready.value().status, 503);
    EXPECT_THAT(not_ready->body, HasSubstr("broker down"));
    ready = true;
    EXPECT_EQ(client.Get("/health/ready").value().status, 200);
    EXPECT_EQ(nlohmann::json::parse(client.Get("/health/detailed").value().body).at("backlog"), 3);
    const auto metrics = client.Get("/metrics");
    EXPECT_EQ(metrics->body, "x_total 1\n");
    EXPECT_THAT(metrics->get_header_value("Content-Type"), HasSubstr("version=0.0.4"));
    const auto boom = client.Get("/boom");
    EXPECT_EQ(boom.value().status, 500);
    EXPECT_THAT(boom->body, Not(HasSubstr("disk on fire")));  // logged, not served
}

TEST_F(health_server_test, admin_routes_need_the_bearer_token) {
    const auto server = make("t0ken");
    httplib::Client client("127.0.0.1", server->port());
    EXPECT_EQ(client.Post("/things/5/replay").value().status, 403);
    EXPECT_EQ(client.Post("/things/5/replay", {{"Authorization", "Bearer t0ke"}}, "", "text/plain").value().status, 403);
    EXPECT_EQ(client.Post("/things/5/replay", {{"Authorization", "t0ken"}}, "", "text/plain").value().status, 403);
    EXPECT_EQ(replays, 0);
    const auto ok = client.Post("/things/5/replay?reason=fixed%20topic", {{"Authorization", "Bearer t0ken"}}, "", "text/plain");
    EXPECT_EQ(ok.value().status, 200);
    EXPECT_EQ(nlohmann::json::parse(ok->body).at("id"), "5");
    EXPECT_EQ(nlohmann::json::parse(ok->body).at("reason"), "fixed topic");
    EXPECT_EQ(replays, 1);
}

TEST_F(health_server_test, without_a_token_admin_routes_are_off) {
    const auto server = make("");
    httplib::Client client("127.0.0.1", server->port());
    const auto refused = client.Post("/things/5/replay", {{"Authorization", "Bearer "}}, "", "text/plain");
    EXPECT_EQ(refused.value().status, 403);
    EXPECT_THAT(refused->body, HasSubstr("DOMAIN_EVENTS_ADMIN_TOKEN"));
    EXPECT_EQ(replays, 0);
}

TEST_F(health_server_test, a_taken_port_is_a_config_error_naming_the_address) {
    const auto first = make("");
    de::health_server second(de::listen_address{"127.0.0.1", first->port()},
                             {.ready = [] { return de::readiness{true, {}}; },
                              .detailed = [] { return nlohmann::json::object(); },
                              .metrics = [] { return std::string(); }});
    try {
        second.start();
        FAIL() << "bound a port already in use";
    } catch (const de::config_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(first->port())));
    }
    EXPECT_THROW(first->get("/late", [](const auto&) { return de::http_response{}; }), de::usage_error);
}

TEST(listen_address, parses_host_and_port_and_names_the_option_when_wrong) {
    const auto a = de::parse_listen_address("0.0.0.0:9464", "--http");
    EXPECT_EQ(a.host, "0.0.0.0");
    EXPECT_EQ(a.port, 9464);
    const auto b = de::parse_listen_address("9464", "--http");
    EXPECT_EQ(b.host, "127.0.0.1") << "loopback unless told otherwise";
    for (const auto* bad : {"", "host:", "host:x", "host:65536", ":80", "-1"}) {
        try {
            (void)de::parse_listen_address(bad, "--http");
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const de::config_error& e) {
            EXPECT_THAT(e.what(), HasSubstr("--http '" + std::string(bad) + "'"));
        }
    }
}

}  // namespace
