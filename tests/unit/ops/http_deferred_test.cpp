// Deferred routes: a handler answers later from another thread while its event loop serves the
// other connections; the answer goes once, a lost responder is 500, and stop() never leaves a
// client waiting (nor the daemon stopping with a connection set aside).
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <domain_events/ops/http_server.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

// Responders handed over by the deferred route, answered by the test when it chooses.
class held_responders {
public:
    void hold(de::http_responder answer) {
        std::lock_guard lock(mutex_);
        held_.push_back(std::move(answer));
    }
    [[nodiscard]] std::size_t size() {
        std::lock_guard lock(mutex_);
        return held_.size();
    }
    [[nodiscard]] de::http_responder take() {
        std::lock_guard lock(mutex_);
        auto answer = std::move(held_.front());
        held_.pop_front();
        return answer;
    }

private:
    std::mutex mutex_;
    std::deque<de::http_responder> held_;
};

class http_deferred_test : public ::testing::Test {
protected:
    void SetUp() override {
        routes.add("GET", "/live", [](const de::http_request&) { return de::json_response(200, {{"live", true}}); });
        routes.add_deferred("POST", "/later", [this](const de::http_request& request, de::http_responder answer) {
            held.hold(std::move(answer));
            (void)request;
        });
        routes.add_deferred("POST", "/dropped", [](const de::http_request&, de::http_responder) {});
        routes.add_deferred("POST", "/twice", [](const de::http_request&, de::http_responder answer) {
            answer(de::json_response(201, {{"first", true}}));
            answer(de::json_response(500, {{"first", false}}));
        });
        routes.add_deferred("POST", "/throws", [this](const de::http_request&, de::http_responder answer) {
            elsewhere([answer] {
                std::this_thread::sleep_for(50ms);
                answer(de::json_response(200, {}));
            });
            throw std::runtime_error("the handler failed after handing its responder over");
        });
        routes.add_deferred("POST", "/soon", [this](const de::http_request& request, de::http_responder answer) {
            elsewhere([answer, body = request.body] { answer(de::json_response(200, {{"echo", body}})); });
        });
    }

    // Runs `work` on a thread of its own, joined before the server goes.
    void elsewhere(std::function<void()> work) {
        std::lock_guard lock(workers_mutex);
        workers.emplace_back(std::move(work));
    }

    void start(de::http_limits limits = {}) {
        limits.threads = 1;  // one loop: a blocked handler would stall every other request
        server = std::make_unique<de::http_server>(de::listen_address{}, routes, limits);
        server->start();
    }

    [[nodiscard]] httplib::Client client() const {
        httplib::Client c("127.0.0.1", server->port());
        c.set_connection_timeout(5s);
        c.set_read_timeout(10s);
        c.set_tcp_nodelay(true);  // headers and body go out at once, not 40 ms apart
        return c;
    }

    // POSTs on a thread of its own: the answer may come only after the test acts.
    [[nodiscard]] std::future<int> post_later(const std::string& path) {
        return std::async(std::launch::async, [this, path] {
            auto c = client();
            const auto r = c.Post(path, "{}", "application/json");
            return r ? r->status : 0;
        });
    }

    held_responders held;
    de::http_router routes;
    std::unique_ptr<de::http_server> server;
    std::mutex workers_mutex;
    std::vector<std::jthread> workers;  // destroyed (joined) first
};

TEST_F(http_deferred_test, the_loop_serves_other_requests_while_a_deferred_one_waits_for_its_answer) {
    start();
    auto waiting = post_later("/later");
    ASSERT_TRUE(de::testing::eventually([&] { return held.size() == 1; }, 10s, 1ms));
    const auto live = client().Get("/live");
    ASSERT_TRUE(live) << "the only event loop was blocked by a request waiting for its answer";
    EXPECT_EQ(live->status, 200);
    EXPECT_EQ(waiting.wait_for(50ms), std::future_status::timeout) << "answered before its handler sent anything";
    std::thread([answer = held.take()] { answer(de::json_response(202, {{"late", true}})); }).join();
    EXPECT_EQ(waiting.get(), 202);
}

TEST_F(http_deferred_test, deferred_answers_follow_each_other_on_one_keep_alive_connection) {
    start();
    auto c = client();
    c.set_keep_alive(true);
    for (int i = 0; i < 20; ++i) {
        const auto body = "{\"n\":" + std::to_string(i) + "}";
        const auto r = c.Post("/soon", body, "application/json");
        ASSERT_TRUE(r) << "request " << i;
        EXPECT_EQ(r->status, 200);
        EXPECT_NE(r->body.find(std::to_string(i)), std::string::npos) << r->body;
    }
}

TEST_F(http_deferred_test, a_responder_lost_unanswered_is_answered_500) {
    start();
    const auto r = client().Post("/dropped", "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
}

TEST_F(http_deferred_test, the_first_answer_goes_and_later_ones_are_dropped) {
    start();
    const auto r = client().Post("/twice", "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->body, "{\"first\":true}\n");
}

TEST_F(http_deferred_test, a_handler_that_throws_is_500_even_if_its_responder_answers_later) {
    start();
    const auto r = client().Post("/throws", "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    std::this_thread::sleep_for(100ms);  // the late answer arrives on a finished request: dropped
    EXPECT_EQ(client().Get("/live")->status, 200);
}

// Past the request timeout the answer is not waited for: the client gets 503 (or, when the
// connection deadline cut it first, a closed connection), the daemon stops with nothing set aside
// (libmicrohttpd aborts the process otherwise), and the late answer goes nowhere.
TEST_F(http_deferred_test, stop_does_not_wait_past_the_request_timeout_for_an_answer_that_never_comes) {
    start({.request_timeout = 300ms, .threads = 1});
    auto waiting = post_later("/later");
    ASSERT_TRUE(de::testing::eventually([&] { return held.size() == 1; }, 10s, 1ms));
    server->stop();
    const auto status = waiting.get();
    EXPECT_TRUE(status == 503 || status == 0) << status;
    held.take()(de::json_response(200, {}));
    server.reset();
}

TEST_F(http_deferred_test, stop_waits_for_an_answer_that_comes_within_the_request_timeout) {
    start({.request_timeout = 5s, .threads = 1});
    auto waiting = post_later("/later");
    ASSERT_TRUE(de::testing::eventually([&] { return held.size() == 1; }, 10s, 1ms));
    std::thread answerer([answer = held.take()] {
        std::this_thread::sleep_for(200ms);
        answer(de::json_response(202, {}));
    });
    server->stop();
    answerer.join();
    EXPECT_EQ(waiting.get(), 202) << "stop() cut off a request whose answer was on its way";
}

TEST_F(http_deferred_test, dispatch_without_a_socket_waits_for_a_deferred_answer) {
    routes.add_deferred("POST", "/elsewhere", [this](const de::http_request&, de::http_responder answer) {
        elsewhere([answer] { answer(de::json_response(207, {})); });
    });
    de::http_request request;
    request.method = "POST";
    request.path = "/elsewhere";
    EXPECT_EQ(routes.dispatch(request, 1024).status, 207);
}

}  // namespace
