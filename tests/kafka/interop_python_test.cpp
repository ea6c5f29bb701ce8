// CloudEvents with a client we did not write, on the real broker: the official CloudEvents SDK
// for Python (its Kafka binding, over confluent-kafka; tests/kafka/cloudevents_client.py) reads
// what the relay published in each CloudEvents mode, attribute by attribute, and the events it
// produces in each mode are applied by our consumer.
#include <gtest/gtest.h>

#include <domain_events/consume/consumer.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/publish/publish_scope.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <vector>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "kafka_tier.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

constexpr const char* trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr const char* python_trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

// Runs cloudevents_client.py with the interpreter of scripts/python-tools.sh (which installs the
// SDK and confluent-kafka from PyPI into .cache/python-tools on first use, and prints its bin folder); its JSON lines.
std::vector<nlohmann::json> python_client(const de::testing::temp_dir& dir, std::vector<std::string> args) {
    const auto output = dir.file("python-" + args.front() + ".jsonl");
    std::vector<std::string> argv = {"/bin/sh", "-c", "bin=$(\"$1\") && shift && exec \"$bin/python\" \"$@\"", "sh",
                                     DOMAIN_EVENTS_PYTHON_TOOLS, DOMAIN_EVENTS_CLOUDEVENTS_CLIENT};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--output", output, "--timeout", "60"});
    const auto [status, log] = de::testing::run_command(argv, {}, dir.file("python.log"), 600s);
    EXPECT_EQ(status, 0) << "cloudevents_client.py " << args.front() << " failed:\n" << log;
    std::vector<nlohmann::json> lines;
    std::ifstream in(output);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

class python_cloudevents : public de::testing::kafka_outbox_tier,
                           public ::testing::WithParamInterface<de::envelope_format> {};

TEST_P(python_cloudevents, the_sdk_reads_what_the_relay_published_and_our_consumer_applies_what_the_sdk_produced) {
    auto c = settings("ce-python");
    c.envelope_format = GetParam();
    c.topics.partitions = 1;
    const auto topic = de::topic_for_event_type(topic_prefix_of(c), "order.placed");
    std::vector<de::event> published;
    {
        de::database db(c.database_path);
        de::model_signals signals;
        de::publisher events(db, signals, c);
        {
            const de::publish_scope scope({.correlation_id = "checkout-7", .traceparent = trace, .tracestate = "rojo=1"});
            published.push_back(db.atomic([&] {
                return events.publish(db, "order.placed", "order", "o-1", 3, {{"total", 12}, {"note", "caf\u00e9"}});
            }));
        }
        published.push_back(db.atomic([&] { return events.publish(db, "order.placed", "order", "o-2", 1, {{"total", 1}}); }));
        de::relay relay(c);
        relay.start();
        ASSERT_TRUE(relay.wait_until_published(60s));
    }

    const auto read = python_client(dir, {"read", "--bootstrap", bootstrap_, "--topic", topic, "--count", "2"});
    ASSERT_EQ(read.size(), 2u);
    const bool binary = GetParam() == de::envelope_format::cloudevents_binary;
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& e = published[i];
        const auto& got = read[i];
        SCOPED_TRACE(e.aggregate_id);
        EXPECT_EQ(got.at("mode"), binary ? "binary" : "structured");
        const auto& a = got.at("attributes");
        EXPECT_EQ(a.at("specversion"), "1.0");
        EXPECT_EQ(a.at("id"), e.event_id);
        EXPECT_EQ(a.at("source"), "domain-events");
        EXPECT_EQ(a.at("type"), "order.placed");
        EXPECT_EQ(a.at("subject"), e.aggregate_id);
        EXPECT_EQ(de::parse_timestamp(a.at("time").get<std::string>()), e.timestamp);
        EXPECT_EQ(a.at("datacontenttype"), "application/json");
        EXPECT_EQ(a.at("aggregatetype"), "order");
        // Binary headers are text: the SDK reads every extension as a string.
        EXPECT_EQ(a.at("aggregateversion"), binary ? nlohmann::json(std::to_string(e.aggregate_version))
                                                   : nlohmann::json(e.aggregate_version));
        EXPECT_EQ(a.at("schemaversion"), "1.0");
        EXPECT_EQ(a.at("partitionkey"), e.aggregate_id);
        EXPECT_EQ(got.at("data"), e.data);
    }
    EXPECT_EQ(read[0].at("attributes").at("traceparent"), trace);
    EXPECT_EQ(read[0].at("attributes").at("tracestate"), "rojo=1");
    EXPECT_EQ(read[0].at("attributes").at("correlationid"), "checkout-7");
    EXPECT_FALSE(read[1].at("attributes").contains("traceparent")) << "an event outside any trace has none";

    const auto sent = python_client(dir, {"write", "--bootstrap", bootstrap_, "--topic", topic, "--type", "order.placed"});
    ASSERT_EQ(sent.size(), 2u);

    de::consumer_options o;
    o.group_id = topic_prefix_of(c) + "-reader";
    o.event_types = {"order.placed"};
    o.database_path = dir.file("reader.db");
    o.max_events = 4;
    o.idle_exit = 60s;
    de::consumer consumer(c, o);
    std::map<std::string, de::event> handled;
    consumer.on("order.placed", [&](const de::event& e, de::database&) { handled.emplace(e.aggregate_id, e); });
    const auto counters = consumer.run();
    EXPECT_EQ(counters.applied, 4u);
    EXPECT_EQ(counters.dead_lettered, 0u);
    ASSERT_EQ(handled.size(), 4u);
    EXPECT_EQ(handled.at("o-1"), published[0]);
    EXPECT_EQ(handled.at("o-2"), published[1]);
    for (const auto& line : sent) {
        const auto& e = handled.at(line.at("subject").get<std::string>());
        SCOPED_TRACE(line.at("mode").get<std::string>());
        EXPECT_EQ(e.event_id, line.at("id"));
        EXPECT_EQ(e.event_type, "order.placed");
        EXPECT_EQ(e.aggregate_type, "order");
        EXPECT_EQ(e.aggregate_version, 1);
        EXPECT_EQ(e.metadata.source, "/python-sdk");
        EXPECT_EQ(e.metadata.traceparent, python_trace);
        EXPECT_EQ(e.data, (nlohmann::json{{"total", 5}, {"mode", line.at("mode")}}));
    }
}

INSTANTIATE_TEST_SUITE_P(each_mode, python_cloudevents,
                         ::testing::Values(de::envelope_format::cloudevents_binary,
                                           de::envelope_format::cloudevents_structured),
                         [](const ::testing::TestParamInfo<de::envelope_format>& format) {
                             return std::string(de::to_string(format.param));
                         });

}  // namespace
