// The relay against a real Kafka broker (scripts/test.sh starts it with topic auto-creation
// disabled, so every topic here exists only because the relay ensured it).
#include <gtest/gtest.h>

#include <domain_events/relay/relay.hpp>
#include <domain_events/kafka/topic_admin.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <set>

#include "delivery_verifier.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"
#include "outbox_fill.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

using kafka_relay = de::testing::kafka_outbox_tier;

de::testing::verification verify_all(const de::config& c) {
    return de::testing::verify_outbox_delivered(c.database_path, c, 180s);
}

TEST_F(kafka_relay, drains_100k_events_into_topics_it_created_with_nothing_lost_or_reordered) {
    auto c = settings("drain");
    c.topics.partitions = 6;
    de::testing::fill_outbox(c.database_path, {.events = 100'000, .aggregates = 1'000});
    de::relay relay(c);
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(300s));
    EXPECT_EQ(relay.counters().published, 100'000u);
    for (const auto* type : {"patient.created", "patient.updated"}) {
        EXPECT_EQ(de::testing::replica_counts(bootstrap_, de::topic_for_event_type(topic_prefix_of(c), type)).size(), 6u)
            << "the relay creates topics with the configured partitions";
    }
    const auto v = verify_all(c);
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.delivered, 100'000u);
}

TEST_F(kafka_relay, per_aggregate_routing_reads_back_in_version_order_per_key) {
    auto c = settings("peragg");
    c.routing = de::topic_routing::per_aggregate;
    de::testing::fill_outbox(c.database_path,
                             {.events = 5'000, .aggregates = 50, .types = {"patient.created", "patient.updated"}});
    de::relay relay(c);
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(120s));
    const auto v = verify_all(c);
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
}

}  // namespace
