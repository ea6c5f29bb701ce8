// The demo against the real broker (issue 5): the relay publishes the clinic's day, the example
// consumers apply it, and the summary's counts match the outbox, the topics and the consumers.
#include <gtest/gtest.h>

#include <domain_events/config.hpp>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "demo_check.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;

namespace {

class kafka_demo : public de::testing::kafka_tier {
protected:
    de::testing::temp_dir dir;
};

TEST_F(kafka_demo, the_summary_matches_the_topics_and_the_consumers_applied_every_event) {
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = bootstrap_;
    c.topic_prefix = de::testing::unique_topic("demo");  // fresh topics: only this run's events
    c.database_path = dir.file("demo.db");
    const auto run = de::testing::run_demo_and_verify(HEALTHCORE_DEMO, {"--patients", "30", "--appointments", "40", "--seed", "11"},
                                                      c, dir.file("demo.log"));
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("publishing to Kafka at " + bootstrap_), std::string::npos) << run.output;
    EXPECT_GT(run.summary.written, 70) << run.output;
    de::testing::expect_summary_matches_topics(run, c);
}

}  // namespace
