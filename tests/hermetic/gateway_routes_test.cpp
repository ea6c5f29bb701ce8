// The gateway's three event routes, in-process over the mock cluster: 202 only once the event is
// in the outbox, refusals naming the field, per-type rules, batches committed together, the dry
// run writing nothing, and retries with one event_id written once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "build_tree.hpp"
#include "gateway_fixture.hpp"
#include "kafka_client.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

using gateway_routes_test = de::testing::gateway_test;

TEST_F(gateway_routes_test, an_event_is_in_the_outbox_when_202_is_answered_and_the_relay_publishes_it) {
    auto& gateway = start_gateway();
    auto event = order("o-1");
    event["correlation_id"] = "req-7";
    const auto a = post("/api/v1/events", event);
    ASSERT_EQ(a.status, 202) << a.raw.body;
    EXPECT_EQ(a.body["status"], "accepted");
    EXPECT_EQ(a.body["duplicate"], false);
    EXPECT_EQ(a.body["aggregate_version"], 1);
    // Committed before the answer: another connection sees it at once.
    const auto stored = rows();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].event_id, a.body["event_id"]);
    EXPECT_EQ(stored[0].envelope["data"]["total"], 12);
    EXPECT_EQ(stored[0].envelope["metadata"]["correlation_id"], "req-7");

    ASSERT_TRUE(gateway.publisher_relay().wait_until_published(30s));
    const auto records = de::testing::consume(cluster.bootstrap_servers(), prefix + ".order.placed", "g1", 1, 30s);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].key, "o-1");
    EXPECT_EQ(json::parse(records[0].value)["event_id"], a.body["event_id"]);
}

TEST_F(gateway_routes_test, each_event_of_an_aggregate_takes_its_next_version) {
    start_gateway();
    EXPECT_EQ(post("/api/v1/events", order("o-1")).body["aggregate_version"], 1);
    EXPECT_EQ(post("/api/v1/events", order("o-1")).body["aggregate_version"], 2);
    EXPECT_EQ(post("/api/v1/events", order("o-2")).body["aggregate_version"], 1);
}

TEST_F(gateway_routes_test, a_bad_event_is_refused_naming_its_field_and_nothing_is_written) {
    start_gateway();
    const auto refused = [&](json event) { return post("/api/v1/events", event); };
    auto no_id = order("o-1");
    no_id.erase("aggregate_id");
    EXPECT_EQ(refused(no_id).body["field"], "aggregate_id");
    auto typo = order("o-1");
    typo["agregate_type"] = "order";
    EXPECT_EQ(refused(typo).body["field"], "agregate_type");
    EXPECT_EQ(refused(order("o-1", json::array())).body["field"], "data");
    auto bad_id = order("o-1");
    bad_id["event_id"] = "not-a-uuid";
    EXPECT_EQ(refused(bad_id).body["field"], "event_id");
    auto bad_type = order("o-1");
    bad_type["event_type"] = "Order Placed";
    EXPECT_EQ(refused(bad_type).body["field"], "event_type");
    EXPECT_EQ(refused(order("o-1", {{"card_number", "4111"}})).body["field"], "data.card_number");
    const auto not_json = send("POST", "/api/v1/events", "{\"event_type\":");
    EXPECT_EQ(not_json.status, 400);
    EXPECT_EQ(not_json.body["field"], "body");
    EXPECT_EQ(refused(no_id).status, 400);
    EXPECT_TRUE(rows().empty());
}

TEST_F(gateway_routes_test, unknown_event_types_are_refused_unless_the_settings_allow_them) {
    start_gateway();
    auto shipped = order("o-1");
    shipped["event_type"] = "order.shipped";
    const auto a = post("/api/v1/events", shipped);
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.body["field"], "event_type");
    server.reset();
    start_gateway(R"({"event_types": {"order.placed": {}}, "allow_unknown_event_types": true})");
    EXPECT_EQ(post("/api/v1/events", shipped).status, 202);
}

TEST_F(gateway_routes_test, each_type_has_its_own_sensitive_field_rules) {
    start_gateway();
    auto paid = order("o-1", {{"card_number", "4111 1111 1111 1111"}, {"amount", 5}});
    paid["event_type"] = "order.paid";
    ASSERT_EQ(post("/api/v1/events", paid).status, 202);  // redacted for order.paid
    EXPECT_EQ(post("/api/v1/events", order("o-2", {{"card_number", "4111"}})).status, 400);  // refused for order.placed
    const auto stored = rows();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].envelope["data"]["card_number"], "[REDACTED]");
    EXPECT_EQ(stored[0].envelope["data"]["amount"], 5);
}

TEST_F(gateway_routes_test, a_batch_answers_each_event_and_commits_its_accepted_events_together) {
    start_gateway();
    auto bad = order("o-2");
    bad.erase("data");
    const auto before = send("GET", "/health/detailed").body["writes"];
    const auto a = post("/api/v1/events/batch", {{"events", {order("o-1"), bad, order("o-3"), order("o-4")}}});
    ASSERT_EQ(a.status, 202) << a.raw.body;
    EXPECT_EQ(a.body["accepted"], 3);
    EXPECT_EQ(a.body["refused"], 1);
    const auto& results = a.body["results"];
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(results[0]["status"], "accepted");
    EXPECT_EQ(results[1]["status"], "refused");
    EXPECT_EQ(results[1]["field"], "events[1].data");
    EXPECT_EQ(results[3]["status"], "accepted");
    const auto stored = rows();
    ASSERT_EQ(stored.size(), 3u);
    EXPECT_EQ(stored[0].event_id, results[0]["event_id"]);
    EXPECT_EQ(stored[2].event_id, results[3]["event_id"]);
    // One caller of the group commit, one shared transaction for the three.
    const auto after = send("GET", "/health/detailed").body["writes"];
    EXPECT_EQ(after["committed"].get<int>() - before["committed"].get<int>(), 1);
    EXPECT_EQ(after["transactions"].get<int>() - before["transactions"].get<int>(), 1);
}

TEST_F(gateway_routes_test, a_batch_over_the_configured_count_or_without_events_is_refused_whole) {
    start_gateway();
    json six = json::array();
    for (int i = 0; i < 6; ++i) six.push_back(order("o-" + std::to_string(i)));
    const auto a = post("/api/v1/events/batch", {{"events", six}});
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.body["field"], "events");
    EXPECT_EQ(post("/api/v1/events/batch", {{"events", json::array()}}).body["field"], "events");
    EXPECT_EQ(post("/api/v1/events/batch", {{"event", six}}).body["field"], "body");
    auto bad = order("o-1");
    bad.erase("data");
    EXPECT_EQ(post("/api/v1/events/batch", {{"events", {bad}}}).status, 400);  // nothing accepted
    EXPECT_TRUE(rows().empty());
}

TEST_F(gateway_routes_test, validate_runs_the_same_checks_and_writes_nothing) {
    start_gateway();
    const auto ok = post("/api/v1/events/validate", order("o-1"));
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body["valid"], true);
    const auto refused = post("/api/v1/events/validate", order("o-1", {{"card_number", "4111"}}));
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.body["field"], "data.card_number");
    EXPECT_TRUE(rows().empty());
}

TEST_F(gateway_routes_test, a_retry_with_the_same_event_id_is_accepted_as_a_duplicate_and_written_once) {
    start_gateway();
    auto event = order("o-1");
    event["event_id"] = "0190a7e4-7d5c-7cc1-8a3e-3f7a2b1c9d00";
    const auto first = post("/api/v1/events", event);
    const auto retry = post("/api/v1/events", event);
    ASSERT_EQ(first.status, 202);
    ASSERT_EQ(retry.status, 202);
    EXPECT_EQ(first.body["duplicate"], false);
    EXPECT_EQ(retry.body["duplicate"], true);
    EXPECT_EQ(retry.body["event_id"], "0190a7e4-7d5c-7cc1-8a3e-3f7a2b1c9d00");
    auto upper = event;
    upper["event_id"] = "0190A7E4-7D5C-7CC1-8A3E-3F7A2B1C9D00";  // the same UUID
    EXPECT_EQ(post("/api/v1/events", upper).body["duplicate"], true);
    ASSERT_EQ(rows().size(), 1u);
    EXPECT_EQ(rows()[0].event_id, "0190a7e4-7d5c-7cc1-8a3e-3f7a2b1c9d00");
}

TEST_F(gateway_routes_test, another_event_under_an_accepted_event_id_is_a_conflict) {
    start_gateway();
    auto event = order("o-1");
    event["event_id"] = "0190a7e4-7d5c-7cc1-8a3e-3f7a2b1c9d01";
    ASSERT_EQ(post("/api/v1/events", event).status, 202);
    auto changed = event;
    changed["data"]["total"] = 13;
    const auto a = post("/api/v1/events", changed);
    EXPECT_EQ(a.status, 409);
    EXPECT_EQ(a.body["field"], "event_id");
    EXPECT_EQ(rows().size(), 1u);
}

TEST_F(gateway_routes_test, a_batch_recognises_event_ids_accepted_before_and_repeated_within_it) {
    start_gateway();
    auto known = order("o-1");
    known["event_id"] = "0190a7e4-7d5c-7cc1-8a3e-3f7a2b1c9d02";
    ASSERT_EQ(post("/api/v1/events", known).status, 202);
    auto fresh = order("o-2");
    fresh["event_id"] = "0190a7e4-7d5c-7cc1-8a3e-3f7a2b1c9d03";
    auto clash = fresh;
    clash["aggregate_id"] = "o-3";
    const auto a = post("/api/v1/events/batch", {{"events", {known, fresh, fresh, clash}}});
    ASSERT_EQ(a.status, 202) << a.raw.body;
    const auto& results = a.body["results"];
    EXPECT_EQ(results[0]["duplicate"], true);
    EXPECT_EQ(results[1]["duplicate"], false);
    EXPECT_EQ(results[2]["duplicate"], true);
    EXPECT_EQ(results[3]["status"], "conflict");
    EXPECT_EQ(results[3]["field"], "events[3].event_id");
    EXPECT_EQ(rows().size(), 2u);
}

TEST_F(gateway_routes_test, serves_its_openapi_document_byte_for_byte_and_routes_every_operation_it_documents) {
    start_gateway();
    const auto file = de::testing::file_bytes(GATEWAY_OPENAPI);
    ASSERT_FALSE(file.empty());
    const auto served = send("GET", "/api/openapi.json");
    EXPECT_EQ(served.status, 200);
    EXPECT_EQ(served.raw.body, file);
    int operations = 0;
    const auto document = json::parse(file);
    for (const auto& [path, methods] : document["paths"].items()) {
        for (const auto& [method, ignored] : methods.items()) {
            auto upper = method;
            for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            const auto a = send(upper, path, upper == "POST" ? "{}" : "");
            EXPECT_NE(a.status, 404) << method << " " << path;
            EXPECT_NE(a.status, 405) << method << " " << path;
            ++operations;
        }
    }
    EXPECT_EQ(operations, 8);
}

}  // namespace
