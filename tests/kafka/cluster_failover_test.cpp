// Three KRaft nodes, replication factor 3, min.insync.replicas=2: one node is SIGKILLed while the
// relay drains the outbox; acks=all keeps working with two replicas and nothing is lost.
#include <gtest/gtest.h>

#include <domain_events/relay/relay.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "delivery_verifier.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"
#include "outbox_fill.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

class kafka_cluster_failover : public de::testing::kafka_cluster_tier {};

TEST_F(kafka_cluster_failover, a_node_killed_during_the_drain_loses_nothing_acknowledged) {
    de::testing::temp_dir dir;
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = bootstrap_;
    c.topic_prefix = de::testing::unique_topic("failover");
    c.database_path = dir.file("outbox.db");
    c.topics.replication_factor = 3;
    de::testing::fill_outbox(c.database_path, {.events = 30'000, .aggregates = 300});

    de::relay relay(c);
    relay.start();
    for (int i = 0; i < 6000 && relay.counters().published < 5'000; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_GE(relay.counters().published, 5'000u);

    const auto name = de::testing::env_or_empty("KAFKA_CLUSTER_NAME");
    const std::string kill = std::string("\"") + DOMAIN_EVENTS_KAFKA_SCRIPT + "\" kill-node 2 --name " +
                             (name.empty() ? "cluster" : name);
    ASSERT_EQ(std::system(kill.c_str()), 0) << "could not kill node 2: " << kill;

    ASSERT_TRUE(relay.wait_until_published(300s));
    const auto topic = de::topic_for_event_type(topic_prefix_of(c), "patient.created");
    for (const int replicas : de::testing::replica_counts(bootstrap_, topic)) EXPECT_EQ(replicas, 3);

    const auto v = de::testing::verify_outbox_delivered(c.database_path, c, 180s);
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.delivered, 30'000u);
}
