// The gateway's operational behaviour, in-process over the mock cluster: rate limiting per
// client, back-pressure on the backlog and the free disk, health, metrics, graceful shutdown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway_fixture.hpp"

namespace de = domain_events;
using json = nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

using gateway_operations_test = de::testing::gateway_test;

std::string with(const std::string& extra) {
    return R"({"event_types": {"order.placed": {}, "order.paid": {}}, )" + extra + "}";
}

TEST_F(gateway_operations_test, a_client_over_its_rate_gets_429_with_retry_after_and_others_are_not_held_back) {
    // 1 request a second on average, 2 at once; the client is named by a header.
    start_gateway(with(R"("rate_limit": {"requests_per_second": 1, "burst": 2, "client_header": "X-Client-ID"})"));
    const std::map<std::string, std::string, de::header_name_less> a{{"X-Client-ID", "a"}};
    const std::map<std::string, std::string, de::header_name_less> b{{"X-Client-ID", "b"}};
    EXPECT_EQ(post("/api/v1/events", order("o-1"), a).status, 202);
    EXPECT_EQ(post("/api/v1/events", order("o-2"), a).status, 202);
    const auto limited = post("/api/v1/events", order("o-3"), a);
    EXPECT_EQ(limited.status, 429);
    EXPECT_GE(std::stoi(header(limited.raw, "Retry-After")), 1);
    EXPECT_EQ(post("/api/v1/events", order("o-4"), b).status, 202);
    // Without the header, the client is its address (one bucket for this test's requests).
    EXPECT_EQ(post("/api/v1/events", order("o-5")).status, 202);
    EXPECT_EQ(rows().size(), 4u);
}

TEST_F(gateway_operations_test, a_backlog_over_its_threshold_refuses_writes_with_503_and_retry_after) {
    auto base = settings();
    base.kafka_enabled = false;  // nothing publishes: the backlog only grows
    auto& gateway = start_gateway(with(R"("back_pressure": {"max_backlog_events": 2, "min_free_disk_bytes": 0, "retry_after_seconds": 7})"), base);
    EXPECT_EQ(post("/api/v1/events", order("o-1")).status, 202);
    EXPECT_EQ(post("/api/v1/events", order("o-2")).status, 202);
    gateway.refresh_back_pressure();
    const auto refused = post("/api/v1/events", order("o-3"));
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(header(refused.raw, "Retry-After"), "7");
    EXPECT_THAT(refused.body["error"].get<std::string>(), HasSubstr("2 unpublished events"));
    EXPECT_EQ(post("/api/v1/events/batch", {{"events", {order("o-4")}}}).status, 503);
    EXPECT_EQ(post("/api/v1/events/validate", order("o-5")).status, 200);  // a dry run writes nothing
    EXPECT_EQ(send("GET", "/health/ready").status, 503);
    EXPECT_EQ(send("GET", "/health/live").status, 200);
    EXPECT_EQ(rows().size(), 2u);
}

TEST_F(gateway_operations_test, too_little_free_disk_refuses_writes_with_503) {
    start_gateway(with(R"("back_pressure": {"min_free_disk_bytes": 1000000000000000000})"));
    const auto refused = post("/api/v1/events", order("o-1"));
    EXPECT_EQ(refused.status, 503);
    EXPECT_THAT(refused.body["error"].get<std::string>(), HasSubstr("bytes free"));
    EXPECT_EQ(send("GET", "/health/detailed").body["back_pressure"]["refusing_writes"], true);
    EXPECT_TRUE(rows().empty());
}

TEST_F(gateway_operations_test, health_reports_live_ready_and_details) {
    auto& gateway = start_gateway();
    EXPECT_EQ(send("GET", "/health/live").status, 200);
    EXPECT_EQ(send("GET", "/health/ready").status, 200);
    ASSERT_EQ(post("/api/v1/events", order("o-1")).status, 202);
    ASSERT_TRUE(gateway.publisher_relay().wait_until_published(30s));
    gateway.refresh_back_pressure();
    const auto detailed = send("GET", "/health/detailed");
    ASSERT_EQ(detailed.status, 200);
    EXPECT_EQ(detailed.body["status"], "ready");
    EXPECT_EQ(detailed.body["relay"]["running"], true);
    EXPECT_EQ(detailed.body["relay"]["published"], 1);
    EXPECT_EQ(detailed.body["back_pressure"]["backlog"], 0);
    EXPECT_EQ(detailed.body["writes"]["committed"], 1);
    EXPECT_EQ(detailed.body["event_types"], 2);
}

TEST_F(gateway_operations_test, metrics_count_requests_by_route_and_status_and_events_by_type) {
    auto base = settings();
    base.kafka_enabled = false;
    auto& gateway = start_gateway(de::testing::two_types_settings, base);
    ASSERT_EQ(post("/api/v1/events", order("o-1")).status, 202);
    ASSERT_EQ(post("/api/v1/events", order("o-2", {{"card_number", "1"}})).status, 400);
    auto invented = order("o-3");
    invented["event_type"] = "x.invented";
    ASSERT_EQ(post("/api/v1/events", invented).status, 400);
    gateway.refresh_back_pressure();
    const auto page = send("GET", "/metrics");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.raw.content_type, "text/plain; version=0.0.4; charset=utf-8");
    const auto& text = page.raw.body;
    EXPECT_THAT(text, HasSubstr(R"(domain_events_gateway_requests_total{route="/api/v1/events",status="202"} 1)"));
    EXPECT_THAT(text, HasSubstr(R"(domain_events_gateway_requests_total{route="/api/v1/events",status="400"} 2)"));
    EXPECT_THAT(text, HasSubstr(R"(domain_events_gateway_events_accepted_total{event_type="order.placed"} 1)"));
    EXPECT_THAT(text, HasSubstr(R"(domain_events_gateway_events_refused_total{event_type="order.placed"} 1)"));
    // A type no configuration names is counted as `other`, never by the name a client sent.
    EXPECT_THAT(text, HasSubstr(R"(domain_events_gateway_events_refused_total{event_type="other"} 1)"));
    EXPECT_THAT(text, Not(HasSubstr("x.invented")));
    EXPECT_THAT(text, HasSubstr("domain_events_gateway_outbox_backlog_events 1\n"));
    EXPECT_THAT(text, HasSubstr("domain_events_gateway_request_duration_seconds_count 3\n"));
}

TEST_F(gateway_operations_test, stopping_refuses_new_requests_and_publishes_every_committed_event_first) {
    // A slow broker and one event per relay batch: the relay is far from done when stop begins.
    auto base = settings();
    base.relay_batch_size = 1;
    auto& gateway = start_gateway(with(R"("shutdown_timeout_ms": 60000)"), base);
    cluster.set_round_trip_time(-1, 50ms);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(post("/api/v1/events", order("o-" + std::to_string(i))).status, 202);
    EXPECT_TRUE(gateway.stop());
    EXPECT_EQ(counts().pending, 0);
    EXPECT_EQ(counts().published, 10);
    const auto after = post("/api/v1/events", order("o-late"));
    EXPECT_EQ(after.status, 503);
    EXPECT_EQ(header(after.raw, "Connection"), "close");
    EXPECT_EQ(send("GET", "/health/ready").status, 503);
    EXPECT_EQ(rows().size(), 10u);
}

}  // namespace
