// The relay's three record formats on the mock cluster: what each puts on the wire, and a
// consumer (whatever its own setting) applying each as the event that was published; CloudEvents
// from other producers missing what the envelope needs are dead-lettered naming the attribute.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/consume/dead_letter_topic_headers.hpp>
#include <domain_events/publish/publish_scope.hpp>

#include <map>
#include <vector>

#include "event_producer.hpp"
#include "interop_fixture.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

namespace {

constexpr const char* trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class cloudevents_hermetic : public de::testing::interop_fixture,
                             public ::testing::WithParamInterface<de::envelope_format> {
protected:
    cloudevents_hermetic() : interop_fixture("ce") {}

    // Two events, one with every optional field, published and relayed in the format under test.
    std::vector<de::event> publish_two(const de::config& c) {
        cluster.create_topic(topic("order.placed"), 1);
        de::database db(c.database_path);
        de::model_signals signals;
        de::publisher events(db, signals, c);
        std::vector<de::event> published;
        {
            const de::publish_scope scope(
                {.correlation_id = "checkout-7", .causation_id = "cmd-1", .traceparent = trace, .tracestate = "rojo=1"});
            published.push_back(db.atomic([&] {
                return events.publish(db, "order.placed", "order", "o-1", 3, {{"total", 12}, {"note", "caf\u00e9 \"x\""}});
            }));
        }
        published.push_back(db.atomic([&] { return events.publish(db, "order.placed", "order", "o-2", 1, {{"total", 1}}); }));
        relay_all(c);
        return published;
    }
};

TEST_P(cloudevents_hermetic, the_relay_writes_the_format_and_a_consumer_applies_it_as_the_event_published) {
    const auto c = service("orders.db", GetParam());
    const auto published = publish_two(c);

    const auto sent = records("order.placed", 2);
    ASSERT_EQ(sent.size(), 2u);
    const auto& first = sent[0];
    EXPECT_EQ(first.key, "o-1") << "the key is the aggregate id in every format";
    EXPECT_EQ(first.headers.at("traceparent"), trace);
    switch (GetParam()) {
    case de::envelope_format::native:
        EXPECT_EQ(first.headers.at("event_id"), published[0].event_id);
        EXPECT_EQ(first.value, de::serialize(published[0]));
        break;
    case de::envelope_format::cloudevents_binary: {
        const std::map<std::string, std::string> expected = {
            {"ce_specversion", "1.0"}, {"ce_id", published[0].event_id}, {"ce_source", "domain-events"},
            {"ce_type", "order.placed"}, {"ce_time", de::format_timestamp(published[0].timestamp)},
            {"ce_subject", "o-1"}, {"content-type", "application/json"}, {"ce_aggregatetype", "order"},
            {"ce_aggregateversion", "3"}, {"ce_schemaversion", "1.0"}, {"ce_partitionkey", "o-1"},
            {"ce_correlationid", "checkout-7"}, {"ce_causationid", "cmd-1"}, {"ce_traceparent", trace},
            {"ce_tracestate", "rojo=1"}, {"traceparent", trace}, {"tracestate", "rojo=1"}};
        EXPECT_EQ(first.headers, expected);
        EXPECT_EQ(nlohmann::json::parse(first.value), published[0].data) << "the value is data alone";
        break;
    }
    case de::envelope_format::cloudevents_structured: {
        EXPECT_EQ(first.headers.at("content-type"), "application/cloudevents+json; charset=UTF-8");
        const auto value = nlohmann::json::parse(first.value);
        EXPECT_EQ(value.at("specversion"), "1.0");
        EXPECT_EQ(value.at("id"), published[0].event_id);
        EXPECT_EQ(value.at("type"), "order.placed");
        EXPECT_EQ(value.at("subject"), "o-1");
        EXPECT_EQ(value.at("aggregateversion"), 3);
        EXPECT_EQ(value.at("traceparent"), trace);
        EXPECT_EQ(value.at("data"), published[0].data);
        break;
    }
    }
    EXPECT_EQ(sent[1].headers.count("traceparent"), 0u);

    // A consumer configured for the native format reads every format.
    auto reading = service("reader.db");
    auto o = reader({"order.placed"}, "reader.db");
    o.max_events = 2;
    de::consumer consumer(reading, o);
    std::vector<de::event> handled;
    consumer.on("order.placed", [&](const de::event& e, de::database&) { handled.push_back(e); });
    EXPECT_EQ(consumer.run().applied, 2u);
    EXPECT_EQ(handled, published);
}

INSTANTIATE_TEST_SUITE_P(every_format, cloudevents_hermetic,
                         ::testing::Values(de::envelope_format::native, de::envelope_format::cloudevents_binary,
                                           de::envelope_format::cloudevents_structured),
                         [](const ::testing::TestParamInfo<de::envelope_format>& format) {
                             return std::string(de::to_string(format.param));
                         });

class foreign_cloudevents : public de::testing::interop_fixture {
protected:
    foreign_cloudevents() : interop_fixture("ce-foreign") {}
};

TEST_F(foreign_cloudevents, a_cloudevent_missing_what_the_envelope_needs_is_dead_lettered_naming_the_attribute) {
    const auto c = service("reader.db");
    cluster.create_topic(topic("order.placed"), 1);
    const auto id = de::new_event_id();
    const std::map<std::string, std::string> binary_headers = {
        {"ce_specversion", "1.0"}, {"ce_id", id}, {"ce_source", "/python"}, {"ce_type", "order.placed"},
        {"ce_time", "2026-01-02T03:04:05.678901Z"}, {"ce_subject", "o-1"}, {"content-type", "application/json"},
        {"ce_aggregatetype", "order"}, {"ce_schemaversion", "1.0"}};  // no ce_aggregateversion
    nlohmann::json structured = {{"specversion", "1.0"}, {"id", de::new_event_id()}, {"source", "/python"},
                                 {"type", "order.placed"}, {"time", "2026-01-02T03:04:05Z"}, {"subject", "o-2"},
                                 {"aggregatetype", "order"}, {"aggregateversion", 0}, {"schemaversion", "1.0"},
                                 {"data", {{"total", 1}}}};
    auto applied = structured;
    applied["id"] = de::new_event_id();
    applied["aggregateversion"] = "7";  // a string in JSON, as some SDKs write extensions, reads too
    const std::map<std::string, std::string> structured_headers = {{"content-type", "application/cloudevents+json"}};
    de::testing::produce_all(cluster.bootstrap_servers(),
                             {{.topic = topic("order.placed"), .key = "o-1", .value = R"({"total":1})", .headers = binary_headers},
                              {.topic = topic("order.placed"), .key = "o-2", .value = structured.dump(), .headers = structured_headers},
                              {.topic = topic("order.placed"), .key = "o-2", .value = applied.dump(), .headers = structured_headers}});
    auto o = reader({"order.placed"}, "reader.db");
    o.max_events = 3;
    de::consumer consumer(c, o);
    std::vector<de::event> handled;
    consumer.on("order.placed", [&](const de::event& e, de::database&) { handled.push_back(e); });
    const auto counters = consumer.run();
    EXPECT_EQ(counters.dead_lettered, 2u);
    ASSERT_EQ(handled.size(), 1u);
    EXPECT_EQ(handled[0].aggregate_version, 7);
    EXPECT_EQ(handled[0].timestamp, de::parse_timestamp("2026-01-02T03:04:05Z"));

    const auto dead = de::testing::consume(cluster.bootstrap_servers(), de::dead_letter_topic(prefix), "dlq-check", 2,
                                           std::chrono::seconds{30});
    ASSERT_EQ(dead.size(), 2u);
    // The dead-letter topic may have several partitions: the two are read in either order.
    std::vector<std::string> errors;
    for (const auto& letter : dead) {
        EXPECT_EQ(letter.headers.at(std::string(de::dlq_header::reason)), "invalid_envelope");
        errors.push_back(letter.headers.at(std::string(de::dlq_header::error)));
    }
    EXPECT_THAT(errors, UnorderedElementsAre(HasSubstr("ce_aggregateversion: is missing"),
                                             HasSubstr("aggregateversion (aggregate_version: 0 must be >= 1")));
}

}  // namespace
