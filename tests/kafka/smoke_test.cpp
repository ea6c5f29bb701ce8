// The kafka tier's smoke test: a real broker acknowledges a record (acks=all) and a consumer
// group reads it back.
#include <gtest/gtest.h>

#include "kafka_client.hpp"
#include "kafka_tier.hpp"

namespace de = domain_events;

class kafka_smoke : public de::testing::kafka_tier {};

TEST_F(kafka_smoke, one_record_round_trips_through_the_real_broker) {
    const auto topic = de::testing::unique_topic("smoke");
    de::testing::create_topic(bootstrap_, topic, 3, 1);

    de::testing::produce_one(bootstrap_, topic, "patient-1", R"({"hello":"kafka"})");
    const auto records = de::testing::consume(bootstrap_, topic, "smoke-" + topic, 1);

    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].key, "patient-1");
    EXPECT_EQ(records[0].value, R"({"hello":"kafka"})");

    // The group committed its offset: a second read by the same group sees nothing new.
    EXPECT_TRUE(de::testing::consume(bootstrap_, topic, "smoke-" + topic, 1, std::chrono::seconds(8)).empty());
}
