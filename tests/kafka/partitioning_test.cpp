// Partitioning shared with the Java world: an event the relay publishes and a record Kafka's own
// Java producer (kafka-console-producer, default partitioner) sends with the same key land on
// the same partition, so per-aggregate order holds when a Java service writes to our topics.
#include <gtest/gtest.h>

#include <domain_events/relay/relay.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"
#include "outbox_fill.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t keys = 200;

// The Kafka jars' classpath, fetched by scripts/kafka.sh (as the broker's are) if needed.
std::string kafka_classpath(const de::testing::temp_dir& dir) {
    const auto [status, output] =
        de::testing::run_command({DOMAIN_EVENTS_KAFKA_SCRIPT, "classpath"}, {}, dir.file("classpath.log"), 900s);
    if (status != 0) throw std::runtime_error("kafka.sh classpath failed: " + output);
    // Its last line; the lines before are its log (stderr), if it fetched anything.
    std::istringstream lines(output);
    std::string line, last;
    while (std::getline(lines, line)) {
        if (!line.empty()) last = line;
    }
    return last;
}

// One JVM sends every line of `input` (`key|value`) with Java's default partitioner and acks=all.
void java_produce(const de::testing::temp_dir& dir, const std::string& bootstrap, const std::string& topic,
                  const std::string& input) {
    const auto classpath = kafka_classpath(dir);
    const auto [status, output] = de::testing::run_command(
        {"/bin/sh", "-c",
         "exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp \"$1\" kafka.tools.ConsoleProducer "
         "--bootstrap-server \"$2\" --topic \"$3\" --producer-property acks=all "
         "--property parse.key=true --property 'key.separator=|' < \"$4\"",
         "sh", classpath, bootstrap, topic, input},
        {}, dir.file("java-producer.log"), 180s);
    ASSERT_EQ(status, 0) << "kafka-console-producer failed:\n" << output;
}

using kafka_partitioning = de::testing::kafka_outbox_tier;

TEST_F(kafka_partitioning, a_key_lands_on_the_partition_javas_producer_picks_and_is_read_in_order) {
    auto c = settings("javapart");
    c.topics.partitions = 6;  // a chance agreement of two partitioners is 1 in 6 per key
    de::testing::fill_outbox(c.database_path, {.events = keys, .aggregates = keys, .types = {"patient.created"}});
    {
        de::relay relay(c);
        relay.start();
        ASSERT_TRUE(relay.wait_until_published(120s));
    }
    const auto topic = de::topic_for_event_type(topic_prefix_of(c), "patient.created");
    const auto input = dir.file("java-records.txt");
    {
        std::ofstream lines(input);
        for (std::size_t i = 0; i < keys; ++i) lines << "agg-" << i << "|java-" << i << "\n";
    }
    java_produce(dir, bootstrap_, topic, input);
    if (HasFatalFailure()) return;

    const auto records = de::testing::consume(bootstrap_, topic, topic_prefix_of(c) + "-reader", 2 * keys, 120s);
    ASSERT_EQ(records.size(), 2 * keys);
    std::map<std::string, std::vector<const de::testing::record*>> by_key;  // in the order read
    for (const auto& r : records) by_key[r.key].push_back(&r);
    ASSERT_EQ(by_key.size(), keys);
    std::size_t apart = 0;
    for (const auto& [key, read] : by_key) {
        ASSERT_EQ(read.size(), 2u) << key;
        if (read[0]->partition != read[1]->partition) ++apart;
        EXPECT_EQ(read[0]->value.front(), '{') << key << ": the relay's event is read first";
        EXPECT_EQ(read[1]->value, "java-" + key.substr(4)) << key << ": then the Java producer's record";
    }
    EXPECT_EQ(apart, 0u) << "of " << keys << " keys, " << apart
                         << " landed on another partition than Java's producer picks";
}

}  // namespace
