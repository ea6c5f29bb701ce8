// Topic administration against librdkafka's mock cluster, which has no Admin API: the outcome is
// `unsupported` at once (the relay then relies on auto-creation), never a throw or a wait for the
// timeout; a cluster that cannot be reached is an error naming the topic, within the timeout.
#include <gtest/gtest.h>

#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/error.hpp>
#include <domain_events/kafka/topic_admin.hpp>

#include <chrono>
#include <vector>

#include "prefixed_config.hpp"
#include "kafka_client.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

de::config settings(const de::embedded_cluster& cluster) {
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topic_prefix = de::testing::unique_topic("admin");
    return c;
}

}  // namespace

TEST(topic_admin_mock, reports_unsupported_without_waiting_for_the_timeout) {
    de::embedded_cluster cluster(1);
    const auto c = settings(cluster);
    de::topic_admin admin(c, 5s);
    const auto spec = de::topic_spec_for(c, "patient.created", "patient");
    const auto start = steady::now();
    const auto report = admin.ensure(spec);
    EXPECT_LT(steady::now() - start, 5s) << "an Admin request to the mock waits for a controller until the timeout";
    EXPECT_EQ(report.topic, spec.name);
    EXPECT_EQ(report.outcome, de::topic_outcome::unsupported) << report;
    EXPECT_NE(report.detail.find("no Admin API"), std::string::npos) << report.detail;
}

TEST(topic_admin_mock, reports_each_topic_of_a_batch_unsupported_in_order_even_one_that_exists) {
    de::embedded_cluster cluster(3);
    const auto c = settings(cluster);
    const std::vector<de::topic_spec> specs{de::topic_spec_for(c, "patient.created", "patient"),
                                            {topic_prefix_of(c) + ".existing", {.partitions = 2, .retention_ms = 60'000}},
                                            de::topic_spec_for(c, "appointment.booked", "appointment")};
    cluster.create_topic(specs[1].name, 2, 3);
    de::topic_admin admin(c, 5s);
    const auto start = steady::now();
    const auto reports = admin.ensure(specs);
    EXPECT_LT(steady::now() - start, 5s);
    ASSERT_EQ(reports.size(), 3u);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        EXPECT_EQ(reports[i].topic, specs[i].name);
        EXPECT_EQ(reports[i], de::topic_outcome::unsupported) << reports[i];
    }
}

TEST(topic_admin_mock, an_unreachable_cluster_is_an_error_naming_the_topic_within_the_timeout) {
    de::embedded_cluster cluster(1);
    cluster.set_broker_down(-1, true);
    const auto c = settings(cluster);
    de::topic_admin admin(c, 2s);
    const auto spec = de::topic_spec_for(c, "patient.created", "patient");
    const auto start = steady::now();
    try {
        (void)admin.ensure(spec);
        ADD_FAILURE() << "a cluster that is down answered";
    } catch (const de::publish_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("'" + spec.name + "'"), std::string::npos) << message;
        EXPECT_NE(message.find("looking up the cluster's topics"), std::string::npos) << message;
        EXPECT_NE(e.kafka_code(), 0) << message;
    }
    EXPECT_LT(steady::now() - start, 4s) << "bounded by the 2 s timeout";
}

TEST(topic_admin_mock, a_bad_spec_is_refused_as_on_any_cluster) {
    de::embedded_cluster cluster(1);
    de::topic_admin admin(settings(cluster), 5s);
    EXPECT_THROW((void)admin.ensure({"bad topic name", {}}), de::validation_error);
    EXPECT_THROW((void)admin.ensure({"t", {.replication_factor = 0}}), de::validation_error);
}
