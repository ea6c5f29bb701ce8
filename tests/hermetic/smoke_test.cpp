// The hermetic tier's smoke test: one record through librdkafka's in-process mock cluster.
#include <gtest/gtest.h>

#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/error.hpp>

#include "kafka_client.hpp"

namespace de = domain_events;

TEST(hermetic_smoke, one_record_round_trips_through_the_embedded_cluster) {
    de::embedded_cluster cluster(3);
    ASSERT_FALSE(cluster.bootstrap_servers().empty());
    const auto topic = de::testing::unique_topic("smoke");
    cluster.create_topic(topic, 4, 3);

    de::testing::produce_one(cluster.bootstrap_servers(), topic, "patient-1", R"({"hello":"mock"})");
    const auto records = de::testing::consume(cluster.bootstrap_servers(), topic, "smoke-group", 1);

    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].key, "patient-1");
    EXPECT_EQ(records[0].value, R"({"hello":"mock"})");
    EXPECT_EQ(records[0].topic, topic);
}

TEST(hermetic_smoke, a_broker_that_is_down_refuses_delivery) {
    de::embedded_cluster cluster(1);
    const auto topic = de::testing::unique_topic("smoke-down");
    cluster.create_topic(topic, 1);
    cluster.set_broker_down(-1, true);
    EXPECT_THROW(de::testing::produce_one(cluster.bootstrap_servers(), topic, "k", "v", std::chrono::seconds(2)),
                 de::publish_error);
}
