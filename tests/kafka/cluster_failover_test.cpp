// Three KRaft nodes, replication factor 3, min.insync.replicas=2: with one node SIGKILLed the
// topic still takes writes with acks=all, and nothing acknowledged before is lost.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "kafka_client.hpp"
#include "kafka_tier.hpp"

namespace de = domain_events;

class kafka_cluster_failover : public de::testing::kafka_cluster_tier {};

TEST_F(kafka_cluster_failover, topic_stays_writable_with_acks_all_after_a_node_dies) {
    const auto topic = de::testing::unique_topic("failover");
    de::testing::create_topic(bootstrap_, topic, 3, 3);
    for (const int replicas : de::testing::replica_counts(bootstrap_, topic)) EXPECT_EQ(replicas, 3);

    de::testing::produce_one(bootstrap_, topic, "before", "acknowledged-before-the-kill");

    const auto name = de::testing::env_or_empty("KAFKA_CLUSTER_NAME");
    const std::string kill = std::string("\"") + DOMAIN_EVENTS_KAFKA_SCRIPT + "\" kill-node 2 --name " +
                             (name.empty() ? "cluster" : name);
    ASSERT_EQ(std::system(kill.c_str()), 0) << "could not kill node 2: " << kill;

    // Two of three replicas remain = min.insync.replicas, so acks=all must still succeed.
    de::testing::produce_one(bootstrap_, topic, "after", "acknowledged-after-the-kill", std::chrono::seconds(60));

    std::set<std::string> keys;
    for (const auto& r : de::testing::consume(bootstrap_, topic, "failover-" + topic, 2)) keys.insert(r.key);
    EXPECT_EQ(keys, (std::set<std::string>{"before", "after"}));
}
