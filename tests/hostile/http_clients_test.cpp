// The HTTP endpoint the relay and consumers serve (health_server on http_server), tried as a
// hostile client would: bodies the headers lie about, chunked and compressed bodies, wrong
// methods, huge headers, and thousands of slow and idle connections. Each test fails on a
// thread-per-connection server with per-byte timeouts (cpp-httplib's, which this replaced).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <domain_events/ops/health_server.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "raw_http.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class http_clients_test : public ::testing::Test {
protected:
    std::atomic<int> handled{0};
    std::shared_ptr<spdlog::logger> logger;  // the library's when not set
    std::unique_ptr<de::health_server> server;

    void start(de::http_limits limits = {}) {
        server = std::make_unique<de::health_server>(
            de::listen_address{},
            de::health_checks{.ready = [] { return de::readiness{true, {}}; },
                              .detailed = [] { return nlohmann::json::object(); },
                              .metrics = [] { return std::string(); }},
            "s3cret", logger, limits);
        server->post_admin("/things/(\\d+)/replay", [this](const de::http_request& request) {
            ++handled;
            return de::json_response(200, {{"id", request.captures.at(0)}, {"bytes", request.body.size()}});
        });
        server->start();
    }

    [[nodiscard]] int live_status() const {
        httplib::Client client("127.0.0.1", server->port());
        client.set_connection_timeout(5s);
        client.set_read_timeout(5s);
        const auto r = client.Get("/health/live");
        return r ? r->status : 0;
    }

    static std::string post_head(std::string_view extra) {
        return "POST /things/7/replay HTTP/1.1\r\nHost: x\r\n" + std::string(extra) + "\r\n";
    }
};

TEST_F(http_clients_test, an_unauthenticated_post_is_refused_from_its_headers_before_any_body) {
    start();
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send(post_head("Content-Length: 200000\r\n")));  // and then never a byte of it
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response) << "no answer until the body came: the token was checked after reading it";
    EXPECT_EQ(dt::status_of(*response), 403);
    EXPECT_EQ(handled, 0);
}

// Any client can send these at will: a warning line each would fill the log, and the disk under it.
TEST_F(http_clients_test, refused_admin_requests_are_logged_once_a_minute_with_a_count) {
    std::ostringstream lines;
    logger = std::make_shared<spdlog::logger>("refusals", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines));
    start();
    dt::raw_connection c(server->port());
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(c.send(post_head("Authorization: Bearer wrong\r\n")));
        const auto response = c.read_response(5s);
        ASSERT_TRUE(response) << i;
        ASSERT_EQ(dt::status_of(*response), 403);
    }
    const auto text = lines.str();
    std::size_t logged = 0;
    for (auto at = text.find("no valid admin token"); at != std::string::npos; at = text.find("no valid admin token", at + 1)) {
        ++logged;
    }
    EXPECT_EQ(logged, 1u) << text.substr(0, 2000);
    EXPECT_EQ(handled, 0);
}

TEST_F(http_clients_test, a_declared_body_over_the_limit_is_refused_before_it_is_sent) {
    start({.max_body_bytes = 1024});
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send(post_head("Authorization: Bearer s3cret\r\nContent-Length: 1025\r\n")));
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(dt::status_of(*response), 413);
    EXPECT_EQ(handled, 0);
}

TEST_F(http_clients_test, a_chunked_body_over_the_limit_is_413_and_never_held_whole) {
    start({.max_body_bytes = 64 * 1024});
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send(post_head("Authorization: Bearer s3cret\r\nTransfer-Encoding: chunked\r\n")));
    const std::string chunk = "4000\r\n" + std::string(0x4000, 'x') + "\r\n";
    std::size_t sent = 0;
    // 10 MB: past the limit the server drops what it reads and answers when the body ends (an
    // answer sent mid-body would be lost in the reset of a connection closed with unread data).
    for (int i = 0; i < 640 && c.send(chunk); ++i) sent += 0x4000;
    ASSERT_TRUE(c.send("0\r\n\r\n"));
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response) << sent << " bytes sent, no answer";
    EXPECT_EQ(dt::status_of(*response), 413);
    EXPECT_EQ(handled, 0);
}

TEST_F(http_clients_test, a_compressed_body_is_refused_with_415_and_never_inflated) {
    start();
    dt::raw_connection c(server->port());
    const std::string gzip_magic("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
    ASSERT_TRUE(c.send(post_head("Authorization: Bearer s3cret\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n") + gzip_magic));
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(dt::status_of(*response), 415);
    EXPECT_EQ(handled, 0);
}

TEST_F(http_clients_test, a_body_within_the_limit_reaches_the_handler_whole) {
    start({.max_body_bytes = 1024});
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send(post_head("Authorization: Bearer s3cret\r\nTransfer-Encoding: chunked\r\n") +
                       "200\r\n" + std::string(512, 'a') + "\r\n200\r\n" + std::string(512, 'b') + "\r\n0\r\n\r\n"));
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(dt::status_of(*response), 200);
    EXPECT_THAT(*response, HasSubstr("\"bytes\":1024"));
}

// What `curl -X POST -H 'Authorization: Bearer …' URL` sends (docs/operations.md): no body and no
// Content-Length. cpp-httplib waited 5 s for a body and answered 400.
TEST_F(http_clients_test, a_post_without_a_body_or_a_length_is_answered_at_once) {
    start();
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send(post_head("Authorization: Bearer s3cret\r\n")));
    const auto response = c.read_response(2s);
    ASSERT_TRUE(response);
    EXPECT_EQ(dt::status_of(*response), 200);
    EXPECT_THAT(*response, HasSubstr("\"bytes\":0"));
}

TEST_F(http_clients_test, a_wrong_method_is_405_with_the_allowed_ones) {
    start();
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send("DELETE /health/live HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(dt::status_of(*response), 405);
    EXPECT_EQ(dt::header_of(*response, "Allow"), "GET, HEAD");
    ASSERT_TRUE(c.send("GET /no/such/thing HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto missing = c.read_response(5s);
    ASSERT_TRUE(missing);
    EXPECT_EQ(dt::status_of(*missing), 404);
    EXPECT_THAT(*missing, Not(HasSubstr("/no/such/thing")));  // the path is not repeated
}

TEST_F(http_clients_test, headers_over_the_limit_are_refused_with_a_4xx) {
    start({.max_header_bytes = 4096});
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'h') + "\r\n\r\n"));
    const auto response = c.read_until_closed(5s);
    const int status = dt::status_of(response);
    EXPECT_GE(status, 400);
    EXPECT_LT(status, 500);
}

// Routes are regular expressions, and std::regex matches recursively, about a stack frame per
// character: a path of 100,000 digits overflowed the server thread's stack and killed the process.
TEST_F(http_clients_test, a_path_over_the_limit_is_414_before_any_route_pattern_sees_it) {
    start({.max_header_bytes = 512 * 1024});
    {
        dt::raw_connection c(server->port());
        ASSERT_TRUE(c.send("GET /things/" + std::string(100'000, '7') + "/replay HTTP/1.1\r\nHost: x\r\n\r\n"));
        const auto response = c.read_response(5s);
        ASSERT_TRUE(response);
        EXPECT_EQ(dt::status_of(*response), 414);
        EXPECT_THAT(*response, Not(HasSubstr("7777")));
    }
    // At the limit, still routed: the unauthenticated POST is refused by its route's gate.
    const auto at_limit = "/things/" + std::string(de::http_max_path_bytes - 15, '7') + "/replay";
    ASSERT_EQ(at_limit.size(), de::http_max_path_bytes);
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send("POST " + at_limit + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(dt::status_of(*response), 403);
    EXPECT_EQ(live_status(), 200);
}

// libmicrohttpd decodes chunked only; with another coding it waited for the client to close and
// answered nothing until the request timeout.
TEST_F(http_clients_test, a_transfer_encoding_other_than_chunked_is_415_at_once) {
    start();
    for (const std::string coding : {"gzip", "chunked, gzip", "identity"}) {
        dt::raw_connection c(server->port());
        ASSERT_TRUE(c.send(post_head("Authorization: Bearer s3cret\r\nTransfer-Encoding: " + coding + "\r\n") + "{}"));
        const auto response = c.read_response(5s);
        ASSERT_TRUE(response) << coding << ": no answer within 5 s (the request timeout is 10 s)";
        EXPECT_EQ(dt::status_of(*response), 415) << coding;
    }
    EXPECT_EQ(handled, 0);
}

// Without it, each answer on a keep-alive connection waited ~40 ms for the peer's delayed ACK.
TEST_F(http_clients_test, every_accepted_connection_has_tcp_nodelay) {
    start();
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c.read_response(5s));
    EXPECT_EQ(dt::accepted_socket_has_nodelay(server->port(), c.local_port()), std::optional<bool>(true));
}

// A soft limit of 1,024 open files (systemd's default) held about 1,000 of the 4,096 connections
// allowed: the rest, /health/live among them, waited unaccepted while idle clients held them.
TEST_F(http_clients_test, starting_raises_the_open_file_limit_to_hold_every_connection_allowed) {
    rlimit before{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
    const rlim_t needed = de::http_limits{}.max_connections + 128;
    if (before.rlim_max != RLIM_INFINITY && before.rlim_max < needed) GTEST_SKIP() << "needs a hard limit of " << needed;
    rlimit lowered = before;
    lowered.rlim_cur = 1024;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
    start();
    rlimit after{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
    EXPECT_GE(after.rlim_cur, needed);
    EXPECT_EQ(after.rlim_max, before.rlim_max);
    if (after.rlim_cur < before.rlim_cur) setrlimit(RLIMIT_NOFILE, &before);
}

TEST_F(http_clients_test, connections_past_the_cap_are_not_served_until_one_closes) {
    start({.max_connections = 3});
    std::vector<dt::raw_connection> held;
    for (int i = 0; i < 3; ++i) {
        held.emplace_back(server->port());
        ASSERT_TRUE(held.back().send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"));
        ASSERT_TRUE(held.back().read_response(5s)) << i;
    }
    dt::raw_connection fourth(server->port());
    (void)fourth.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_FALSE(fourth.read_response(300ms)) << "served past the cap of 3 connections";
    held.clear();
    EXPECT_EQ(live_status(), 200);
}

TEST_F(http_clients_test, a_client_trickling_a_byte_at_a_time_is_cut_off_by_total_time) {
    start({.request_timeout = 300ms});
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send("GET /health/live HTTP/1.1\r\n"));
    const auto began = std::chrono::steady_clock::now();
    bool cut = false;
    // A byte every 50 ms: a per-byte timeout of any length would never fire. Bounded at 10 s.
    for (int i = 0; i < 200 && !cut; ++i) {
        cut = !c.send("X") || c.closed_by_peer(50ms);
    }
    ASSERT_TRUE(cut) << "still open after 10 s of one byte per 50 ms";
    EXPECT_GE(std::chrono::steady_clock::now() - began, 250ms);
    EXPECT_GE(server->counters().timed_out, 1u);
    EXPECT_EQ(live_status(), 200);
}

TEST_F(http_clients_test, an_idle_connection_is_closed_after_the_request_timeout) {
    start({.request_timeout = 300ms});
    dt::raw_connection c(server->port());
    ASSERT_TRUE(c.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c.read_response(5s));
    EXPECT_TRUE(c.closed_by_peer(5s)) << "a keep-alive connection left idle stayed open";
}

TEST_F(http_clients_test, liveness_answers_while_1000_slow_and_2000_idle_clients_hold_connections) {
    if (!dt::allow_open_files(8192)) GTEST_SKIP() << "needs 8192 open files (ulimit -Hn)";
    start();
    std::vector<dt::raw_connection> idle;
    std::vector<dt::raw_connection> slow;
    for (int i = 0; i < 2000; ++i) idle.emplace_back(server->port());
    for (int i = 0; i < 1000; ++i) {
        slow.emplace_back(server->port());
        (void)slow.back().send("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    }
    const auto connected = [](const auto& all) {
        return std::count_if(all.begin(), all.end(), [](const auto& c) { return c.connected(); });
    };
    ASSERT_EQ(connected(idle), 2000);
    ASSERT_EQ(connected(slow), 1000);
    for (int round = 0; round < 10; ++round) {
        for (auto& c : slow) (void)c.send("y");  // each slow client sends a byte between probes
        EXPECT_EQ(live_status(), 200) << "round " << round;
    }
    EXPECT_GE(server->counters().open_connections, 3000u);
}

}  // namespace
