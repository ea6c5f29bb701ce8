// The relay against librdkafka's mock cluster: publishing, headers, wake-ups, faults, dead letters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/config.hpp>
#include <domain_events/database.hpp>
#include <domain_events/embedded_cluster.hpp>
#include <domain_events/outbox.hpp>
#include <domain_events/relay.hpp>
#include <domain_events/topic_routing.hpp>

#include <atomic>
#include <map>
#include <thread>

#include "kafka_client.hpp"
#include "outbox_fill.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

class relay_hermetic : public ::testing::Test {
protected:
    de::embedded_cluster cluster{3};
    de::testing::temp_dir dir;
    std::string prefix = de::testing::unique_topic("relay");

    de::config settings() const {
        de::config c;
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = prefix;
        c.database_path = dir.file("outbox.db");
        c.relay_poll_interval = 5ms;
        return c;
    }
    static de::relay_options fast_options() {
        de::relay_options o;
        o.initial_backoff = 10ms;
        o.max_backoff = 100ms;
        return o;
    }
    void create_topics(const std::vector<std::string>& types, int partitions = 4) {
        for (const auto& t : types) cluster.create_topic(de::topic_for_event_type(prefix, t), partitions, 3);
    }
    de::outbox_counts counts() {
        de::database db(settings().database_path);
        return de::outbox(db).counts(de::now_ms());
    }
};

TEST_F(relay_hermetic, publishes_a_backlog_with_key_headers_and_marks_it_published) {
    create_topics({"patient.created", "patient.updated"});
    de::testing::fill_outbox(settings().database_path, {.events = 200, .aggregates = 10});
    de::relay relay(settings(), fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));
    EXPECT_EQ(relay.counters().published, 200u);
    EXPECT_EQ(counts().pending, 0);

    const auto created = de::testing::consume(cluster.bootstrap_servers(), de::topic_for_event_type(prefix, "patient.created"),
                                              "check", 100, 30s);
    ASSERT_EQ(created.size(), 100u);
    for (const auto& r : created) {
        EXPECT_THAT(r.key, ::testing::StartsWith("agg-"));
        EXPECT_EQ(r.headers.at("event_type"), "patient.created");
        EXPECT_EQ(r.headers.at("content-type"), "application/json");
        EXPECT_EQ(r.headers.at("schema-version"), "1.0");
        EXPECT_THAT(r.headers.at("correlation_id"), ::testing::StartsWith("corr-"));
        EXPECT_THAT(r.value, ::testing::HasSubstr(r.headers.at("event_id")));
    }
    EXPECT_TRUE(relay.stop());
}

}  // namespace

namespace {

constexpr std::int16_t produce_api = 0;

TEST_F(relay_hermetic, EXPERIMENT_permanent_error_once) {
    create_topics({"patient.created", "patient.updated"}, 1);
    de::testing::fill_outbox(settings().database_path, {.events = 50, .aggregates = 5});
    cluster.push_request_errors(produce_api, {29 /*TOPIC_AUTHORIZATION_FAILED*/});
    de::relay relay(settings(), fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));
    const auto c = relay.counters();
    std::cerr << "published=" << c.published << " failed=" << c.failed_attempts << " rewinds=" << c.rewinds
              << " recreations=" << c.producer_recreations << " dead=" << c.dead_lettered << " err=" << c.last_error << "\n";
}

TEST_F(relay_hermetic, EXPERIMENT_transient_errors) {
    create_topics({"patient.created", "patient.updated"}, 1);
    de::testing::fill_outbox(settings().database_path, {.events = 50, .aggregates = 5});
    cluster.push_request_errors(produce_api, {19, 19, 19, 6, 7});
    de::relay relay(settings(), fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));
    const auto c = relay.counters();
    std::cerr << "published=" << c.published << " failed=" << c.failed_attempts << " rewinds=" << c.rewinds
              << " recreations=" << c.producer_recreations << " dead=" << c.dead_lettered << " err=" << c.last_error << "\n";
}

}  // namespace
