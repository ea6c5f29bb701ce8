// The relay against librdkafka's mock cluster: publishing, headers, wake-ups, faults, dead letters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/config.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/error.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/relay/relay_lease.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "prefixed_config.hpp"
#include "delivery_verifier.hpp"
#include "kafka_client.hpp"
#include "mock_cluster_test.hpp"
#include "outbox_fill.hpp"
#include "temp_dir.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

class relay_hermetic : public de::testing::mock_cluster_test {
protected:
    relay_hermetic() : mock_cluster_test("relay") {}

    de::config settings() const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = prefix;
        c.database_path = db_path;
        c.relay_poll_interval = 5ms;
        return c;
    }
    // What the application does before any relay runs: only it creates the outbox tables.
    void install_outbox() const {
        de::database db(db_path);
        de::outbox::install(db);
    }
    static de::relay_options fast_options() {
        de::relay_options o;
        o.initial_backoff = 10ms;
        o.max_backoff = 100ms;
        return o;
    }
    // Reads every topic back and checks the guarantees: nothing lost, no reorder per key.
    de::testing::verification verify_delivery(const de::config& c) {
        auto result = de::testing::verify_outbox_delivered(c.database_path, c, 60s);
        EXPECT_TRUE(result.ok()) << de::testing::describe(result);
        return result;
    }
    static void await_lease(de::relay& relay) {
        for (int i = 0; i < 3000 && !relay.counters().lease_held; ++i) std::this_thread::sleep_for(10ms);
        ASSERT_TRUE(relay.counters().lease_held);
    }
    // Blocks until at least `count` events were acknowledged (bounded), for faults mid-drain.
    static void await_published(de::relay& relay, std::uint64_t count) {
        for (int i = 0; i < 6000 && relay.counters().published < count; ++i) std::this_thread::sleep_for(10ms);
        ASSERT_GE(relay.counters().published, count);
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

constexpr std::int16_t produce_api = 0;  // Kafka's Produce request
const std::vector<std::string> types = {"patient.created", "patient.updated"};

TEST_F(relay_hermetic, a_publisher_commit_wakes_the_relay_before_its_poll_interval) {
    create_topics({"patient.created"});
    auto c = settings();
    c.relay_poll_interval = 10'000ms;  // the longest allowed: only the wake-up can be in time
    de::database db(c.database_path);
    de::model_signals signals;
    de::publisher publisher(db, signals, c);
    de::relay relay(c, fast_options());
    const auto wake = relay.wake_on_commit(publisher);
    relay.start();
    await_lease(relay);
    db.atomic([&] { publisher.publish(db, "patient.created", "patient", "p-1", 1, {{"name", "x"}}); });
    EXPECT_TRUE(relay.wait_until_published(5s));
}

TEST_F(relay_hermetic, events_committed_by_another_connection_while_running_are_published) {
    create_topics(types);
    install_outbox();
    de::relay relay(settings(), fast_options());
    relay.start();
    de::testing::fill_outbox(settings().database_path, {.events = 300, .aggregates = 7});
    ASSERT_TRUE(relay.wait_until_published(30s));
    const auto v = verify_delivery(settings());
    EXPECT_EQ(v.delivered, 300u);
}

TEST_F(relay_hermetic, a_relay_refuses_another_applications_database_and_changes_nothing_in_it) {
    {
        de::database db(de::database_options{.path = db_path});
        db.execute("PRAGMA journal_mode=DELETE; CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
    }
    const auto before = de::testing::file_bytes(db_path);
    de::relay relay(settings(), fast_options());
    try {
        relay.start();
        FAIL() << "started on a database without the outbox schema";
    } catch (const de::usage_error& e) {
        EXPECT_THAT(e.what(), HasSubstr(db_path));
        EXPECT_THAT(e.what(), HasSubstr("domain_events_schema"));
    }
    EXPECT_EQ(de::testing::file_bytes(db_path), before) << "the file changed (WAL switch, tables)";
    EXPECT_FALSE(std::filesystem::exists(db_path + "-wal"));
}

TEST_F(relay_hermetic, survives_every_broker_going_down_mid_drain) {
    create_topics(types);
    de::testing::fill_outbox(settings().database_path, {.events = 20'000, .aggregates = 200});
    de::relay relay(settings(), fast_options());
    relay.start();
    await_published(relay, 2'000);
    for (int broker = 1; broker <= 3; ++broker) cluster.set_broker_down(broker, true);
    std::this_thread::sleep_for(1500ms);  // the outage, not a timing assertion
    for (int broker = 1; broker <= 3; ++broker) cluster.set_broker_down(broker, false);
    ASSERT_TRUE(relay.wait_until_published(120s));
    verify_delivery(settings());
}

TEST_F(relay_hermetic, transient_produce_errors_are_retried_without_loss_or_reorder) {
    create_topics(types);
    auto c = settings();
    // One Produce request in flight per broker. The mock checks idempotent sequence numbers
    // only for transactional producers: a batch pipelined behind one that gets an injected
    // error is appended out of sequence (a real broker answers OUT_OF_ORDER_SEQUENCE_NUMBER),
    // and librdkafka then acknowledges the failed batch implicitly although no log holds it.
    c.kafka_properties["max.in.flight.requests.per.connection"] = "1";
    de::testing::fill_outbox(c.database_path, {.events = 5'000, .aggregates = 50});
    // NOT_ENOUGH_REPLICAS, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT
    cluster.push_request_errors(produce_api, {19, 19, 6, 7, 19, 6});
    de::relay relay(c, fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(60s));
    verify_delivery(c);
    EXPECT_EQ(counts().dead, 0);
}

TEST_F(relay_hermetic, a_refused_batch_replaces_the_producer_and_resends_from_the_hole) {
    create_topics(types, 1);
    de::testing::fill_outbox(settings().database_path, {.events = 2'000, .aggregates = 20});
    cluster.push_request_errors(produce_api, {29});  // TOPIC_AUTHORIZATION_FAILED, once
    de::relay relay(settings(), fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(60s));
    const auto c = relay.counters();
    EXPECT_GE(c.rewinds, 1u);
    EXPECT_GE(c.producer_recreations, 1u);  // the gapless guarantee made it fatal
    EXPECT_GE(c.failed_attempts, 1u);
    EXPECT_EQ(c.dead_lettered, 0u);  // one refusal is below the attempt limit
    verify_delivery(settings());
}

TEST_F(relay_hermetic, an_event_refused_for_good_is_dead_lettered_and_the_rest_proceed) {
    create_topics(types);
    auto c = settings();
    // The producer's message.max.bytes follows the limit; fill_outbox writes past validation, as
    // an outbox written under a larger limit would hold.
    c.validation.max_payload_bytes = 10'000;
    c.relay_max_attempts = 3;
    de::testing::fill_outbox(c.database_path, {.events = 20, .aggregates = 4});
    const auto huge = de::testing::fill_outbox(c.database_path, {.events = 1, .aggregates = 1, .payload_bytes = 20'000});
    de::testing::fill_outbox(c.database_path, {.events = 20, .aggregates = 4});
    de::relay relay(c, fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));
    EXPECT_EQ(relay.counters().dead_lettered, 1u);

    de::database db(c.database_path);
    const auto dead = de::outbox(db).dead_letters(10);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].original_position, huge.at(0));
    EXPECT_EQ(dead[0].attempts, 3);
    EXPECT_THAT(dead[0].error, ::testing::HasSubstr("MSG_SIZE_TOO_LARGE"));
    const auto v = verify_delivery(c);
    EXPECT_EQ(v.delivered, 40u);
}

TEST_F(relay_hermetic, high_round_trip_time_only_slows_it_down) {
    create_topics(types);
    for (int broker = 1; broker <= 3; ++broker) cluster.set_round_trip_time(broker, 50ms);
    de::testing::fill_outbox(settings().database_path, {.events = 3'000, .aggregates = 30});
    de::relay relay(settings(), fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(60s));
    verify_delivery(settings());
}

TEST_F(relay_hermetic, a_leaderless_partition_holds_its_events_until_a_leader_returns) {
    create_topics(types);
    const auto topic = de::topic_for_event_type(prefix, "patient.created");
    cluster.set_partition_leader(topic, 0, -1);
    de::testing::fill_outbox(settings().database_path, {.events = 2'000, .aggregates = 40});
    de::relay relay(settings(), fast_options());
    relay.start();
    EXPECT_FALSE(relay.wait_until_published(1s));  // partition 0's events cannot be acknowledged
    cluster.set_partition_leader(topic, 0, 1);
    ASSERT_TRUE(relay.wait_until_published(60s));
    verify_delivery(settings());
}

TEST_F(relay_hermetic, with_kafka_disabled_events_wait_in_the_outbox_until_a_relay_is_enabled) {
    create_topics(types);
    auto disabled = settings();
    disabled.kafka_enabled = false;
    install_outbox();
    de::relay off(disabled);
    off.start();
    EXPECT_FALSE(off.running());
    de::testing::fill_outbox(disabled.database_path, {.events = 50, .aggregates = 5});
    EXPECT_EQ(counts().pending, 50);

    de::relay on(settings(), fast_options());
    on.start();
    ASSERT_TRUE(on.wait_until_published(30s));
    EXPECT_EQ(verify_delivery(settings()).delivered, 50u);
}

TEST_F(relay_hermetic, only_the_lease_holder_publishes_and_another_takes_over_when_it_stops) {
    create_topics(types);
    auto c = settings();
    c.lease_period = 3000ms;
    install_outbox();
    de::relay first(c, fast_options());
    first.start();
    await_lease(first);
    de::relay second(c, fast_options());
    second.start();
    de::testing::fill_outbox(c.database_path, {.events = 500, .aggregates = 10});
    ASSERT_TRUE(first.wait_until_published(30s));
    EXPECT_EQ(first.counters().published, 500u);
    EXPECT_EQ(second.counters().published, 0u);
    EXPECT_FALSE(second.counters().lease_held);

    first.stop();  // releases the lease: no need to wait for its expiry
    de::testing::fill_outbox(c.database_path, {.events = 100, .aggregates = 10});
    ASSERT_TRUE(second.wait_until_published(30s));
    EXPECT_EQ(second.counters().published, 100u);
    verify_delivery(c);
}

TEST_F(relay_hermetic, slow_topic_lookups_never_let_the_holders_lease_lapse) {
    // Forty new topics behind 100 ms round trips: looked up in one go they take longer than the
    // lease period, and the waiting relay would take the lease from a live holder.
    std::vector<std::string> many;
    for (int i = 0; i < 40; ++i) many.push_back("patient.action_" + std::to_string(i));
    create_topics(many);
    auto c = settings();
    c.lease_period = 3000ms;
    de::testing::fill_outbox(c.database_path, {.events = 80, .aggregates = 2, .types = many});
    for (int broker = 1; broker <= 3; ++broker) cluster.set_round_trip_time(broker, 100ms);
    de::relay holder(c, fast_options());
    holder.start();
    await_lease(holder);
    de::relay standby(c, fast_options());
    standby.start();
    ASSERT_TRUE(holder.wait_until_published(60s));
    EXPECT_EQ(holder.counters().published, 80u);
    EXPECT_EQ(standby.counters().published, 0u);
    EXPECT_FALSE(standby.counters().lease_held);
}

TEST_F(relay_hermetic, retention_zero_deletes_published_rows_soon_after) {
    create_topics(types);
    auto c = settings();
    c.published_retention = 0s;
    auto options = fast_options();
    options.retention_interval = 10ms;
    de::testing::fill_outbox(c.database_path, {.events = 100, .aggregates = 5});
    de::relay relay(c, options);
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));
    for (int i = 0; i < 1000 && counts().published > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(counts().published, 0);
    EXPECT_EQ(counts().pending, 0);
}

TEST_F(relay_hermetic, stopping_with_the_brokers_down_leaves_unacknowledged_events_pending) {
    create_topics(types);
    de::testing::fill_outbox(settings().database_path, {.events = 2, .aggregates = 1});
    de::relay relay(settings(), fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));  // topics looked up, producer connected
    for (int broker = 1; broker <= 3; ++broker) cluster.set_broker_down(broker, true);
    de::testing::fill_outbox(settings().database_path, {.events = 100, .aggregates = 5});
    EXPECT_FALSE(relay.wait_until_published(500ms));  // produced, never acknowledged
    EXPECT_FALSE(relay.stop(300ms));                  // in flight at the deadline: given back
    EXPECT_EQ(counts().pending, 100);
    de::database db(settings().database_path);
    EXPECT_FALSE(de::read_lease(db).has_value());  // released for the next relay
}

TEST_F(relay_hermetic, per_aggregate_routing_keeps_each_aggregate_in_one_partition_in_version_order) {
    auto c = settings();
    c.routing = de::topic_routing::per_aggregate;
    cluster.create_topic(de::topic_for(prefix, c.routing, "patient.created", "patient"), 4, 3);
    de::testing::fill_outbox(c.database_path,
                             {.events = 1'000, .aggregates = 20, .types = {"patient.created", "patient.updated", "patient.deleted"}});
    de::relay relay(c, fast_options());
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));
    const auto v = verify_delivery(c);  // one partition per key, positions (hence versions) increasing
    EXPECT_EQ(v.delivered, 1'000u);
}

}  // namespace

namespace {

TEST(relay_topics, without_an_admin_api_the_topics_are_left_to_auto_creation) {
    de::embedded_cluster cluster(1);
    de::testing::temp_dir dir;
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topic_prefix = de::testing::unique_topic("auto");
    c.database_path = dir.file("outbox.db");
    de::testing::fill_outbox(c.database_path, {.events = 20, .aggregates = 2});
    de::relay relay(c);
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(30s));
    EXPECT_EQ(relay.counters().published, 20u);
}

TEST(relay_config, refuses_producer_settings_that_would_break_ordering) {
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = "127.0.0.1:1";
    c.kafka_properties["enable.idempotence"] = "false";
    EXPECT_THROW(de::relay{c}, de::config_error);
    c.kafka_properties = {{"acks", "1"}};
    EXPECT_THROW(de::relay{c}, de::config_error);
    c.kafka_properties = {{"no.such.property", "1"}};
    EXPECT_THROW(de::relay{c}, de::config_error);
    c.kafka_properties = {};
    c.bootstrap_servers.clear();
    EXPECT_THROW(de::relay{c}, de::config_error);
}

}  // namespace
