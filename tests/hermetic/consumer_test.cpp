// The consumer against librdkafka's mock cluster (tests/support/consumer_scenarios.cpp):
// exactly-once effects over redeliveries, dead letters, retries, both routings, rebalances,
// and consumer processes killed at the worst moments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/consume/idempotency_store.hpp>

#include <future>
#include <optional>

#include "consumer_scenarios.hpp"
#include "event_producer.hpp"

namespace de = domain_events;

namespace {

class consumer_hermetic : public de::testing::consumer_scenarios {
protected:
    std::string bootstrap() const override { return cluster.bootstrap_servers(); }
    void create_topic(const std::string& topic, int partitions) override { cluster.create_topic(topic, partitions); }
    // It implements Metadata up to v2, which has no AllowAutoTopicCreation flag.
    bool metadata_requests_create_topics() const override { return true; }

    de::embedded_cluster cluster{1};
};

TEST_F(consumer_hermetic, applies_subscribed_events_and_after_stop_a_restart_resumes_after_them) {
    applies_subscribed_events_and_after_stop_a_restart_resumes_after_them();
}

TEST_F(consumer_hermetic, in_the_background_it_catches_up_on_a_backlog_and_then_on_what_came_after) {
    in_the_background_it_catches_up_on_a_backlog_and_then_on_what_came_after();
}

TEST_F(consumer_hermetic, consumers_started_before_their_topics_exist_read_each_within_seconds_of_its_creation) {
    consumers_started_before_their_topics_exist_read_each_within_seconds_of_its_creation();
}

TEST_F(consumer_hermetic, the_same_event_twice_and_a_replayed_batch_take_effect_once) {
    the_same_event_twice_and_a_replayed_batch_take_effect_once();
}

TEST_F(consumer_hermetic, poison_messages_go_to_the_dead_letter_topic_with_their_story_and_good_ones_are_applied) {
    poison_messages_go_to_the_dead_letter_topic_with_their_story_and_good_ones_are_applied();
}

TEST_F(consumer_hermetic, a_throwing_handler_is_retried_and_then_dead_lettered_with_its_effects_rolled_back) {
    a_throwing_handler_is_retried_and_then_dead_lettered_with_its_effects_rolled_back();
}

TEST_F(consumer_hermetic, a_pattern_subscribes_by_regex_and_types_without_a_handler_are_skipped_unless_a_fallback) {
    a_pattern_subscribes_by_regex_and_types_without_a_handler_are_skipped_unless_a_fallback();
}

TEST_F(consumer_hermetic, per_aggregate_routing_reads_the_aggregate_topic_and_filters_by_event_type) {
    per_aggregate_routing_reads_the_aggregate_topic_and_filters_by_event_type();
}

TEST_F(consumer_hermetic, a_member_joining_mid_stream_rebalances_and_every_event_takes_effect_once) {
    a_member_joining_mid_stream_rebalances_and_every_event_takes_effect_once();
}

TEST_F(consumer_hermetic, killed_between_the_commit_and_the_offset_applies_nothing_twice_and_misses_nothing) {
    killed_between_the_commit_and_the_offset_applies_nothing_twice_and_misses_nothing();
}

TEST_F(consumer_hermetic, three_replicas_over_six_partitions_one_killed_mid_stream_apply_every_event_once) {
    three_replicas_over_six_partitions_one_killed_mid_stream_apply_every_event_once();
}

TEST_F(consumer_hermetic, a_handler_failing_mid_batch_keeps_the_earlier_events_once_and_applies_the_later_ones_after) {
    a_handler_failing_mid_batch_keeps_the_earlier_events_once_and_applies_the_later_ones_after();
}

TEST_F(consumer_hermetic, a_handler_failing_after_a_duplicate_and_a_skip_in_its_batch_counts_and_stores_each_once) {
    a_handler_failing_after_a_duplicate_and_a_skip_in_its_batch_counts_and_stores_each_once();
}

TEST_F(consumer_hermetic, a_duplicate_within_one_batch_takes_effect_once) {
    a_duplicate_within_one_batch_takes_effect_once();
}

TEST_F(consumer_hermetic, killed_after_a_batch_commit_before_its_offsets_applies_nothing_twice_and_misses_nothing) {
    killed_after_a_batch_commit_before_its_offsets_applies_nothing_twice_and_misses_nothing();
}

TEST_F(consumer_hermetic, a_message_whose_handler_kills_the_process_is_dead_lettered_after_three_deaths_and_the_rest_applied) {
    a_message_whose_handler_kills_the_process_is_dead_lettered_after_three_deaths_and_the_rest_applied();
}

TEST_F(consumer_hermetic, sensitive_fields_from_another_producer_are_dead_lettered_or_redacted_before_a_handler_sees_them) {
    sensitive_fields_from_another_producer_are_dead_lettered_or_redacted_before_a_handler_sees_them();
}

// SQLite's lock is not fair: a replica with a backlog can hold it batch after batch for longer
// than one wait lasts. The one waiting must go on waiting, and say so, not stop.
TEST_F(consumer_hermetic, another_writer_holding_the_lock_for_many_waits_delays_the_consumer_and_never_stops_it) {
    using namespace std::chrono_literals;
    create_topic(topic("patient.created"), 1);
    const auto events = produce_events("patient.created", 5);
    auto o = options({"patient.created"});
    o.max_events = events.size();
    o.lock_wait = 50ms;
    de::consumer consumer(settings(), o);
    consumer.on("patient.created", record_effect);
    de::database other(db_path);
    std::optional<de::transaction> held(std::in_place, other);  // BEGIN IMMEDIATE: the write lock
    auto ran = std::async(std::launch::async, [&] { return consumer.run(); });

    // Three waits have run out, and the consumer is still waiting, saying why.
    ASSERT_TRUE(eventually([&] { return consumer.status().last_error.find("for 150 ms") != std::string::npos; }, 30s))
        << "last error: " << consumer.status().last_error;
    EXPECT_THAT(consumer.status().last_error, ::testing::HasSubstr("write lock on '" + db_path + "'"));
    EXPECT_EQ(ran.wait_for(0s), std::future_status::timeout) << "run() ended while the lock was held";
    EXPECT_EQ(committed_effects(), 0);

    held.reset();  // rolled back: the lock is free
    const auto counters = ran.get();
    EXPECT_EQ(counters.applied, events.size());
    expect_each_applied_once(ids_of(events));
}

// What ends a background run is not lost on its thread: stop() rethrows it, status() shows it,
// and a consumer destroyed without stop() stops, waits for its thread and logs it.
TEST_F(consumer_hermetic, a_background_run_ended_by_a_failure_is_rethrown_by_stop_and_shown_by_status) {
    using namespace std::chrono_literals;
    create_topic(topic("patient.created"), 1);
    de::testing::produce_all(bootstrap(), {{topic("patient.created"), "g", "not json", {}}});
    auto o = options({"patient.created"});
    o.dead_letter_attempts = 1;
    // Every produce request is refused: the poison message's dead letter cannot be delivered.
    constexpr std::int16_t produce_api = 0;
    constexpr int message_too_large = 10;
    cluster.push_request_errors(produce_api, std::vector<int>(100, message_too_large));
    for (const bool stopped : {true, false}) {
        de::consumer consumer(settings(), o);
        consumer.on("patient.created", record_effect);
        consumer.start();
        ASSERT_TRUE(eventually([&] { return consumer.status().failed; }, 60s)) << consumer.status().last_error;
        const auto status = consumer.status();
        EXPECT_FALSE(status.running);
        EXPECT_THAT(status.last_error, ::testing::HasSubstr("run() ended: "));
        EXPECT_FALSE(consumer.wait_until_caught_up(1s));
        if (stopped) {
            EXPECT_THROW(consumer.stop(10s), de::publish_error);
            EXPECT_TRUE(consumer.stop(1s)) << "the failure is handed over once";
        }
        cluster.push_request_errors(produce_api, std::vector<int>(100, message_too_large));
    }  // the second is destroyed with its failure untaken: logged, never thrown
}

TEST_F(consumer_hermetic, idempotency_records_older_than_the_retention_are_swept_and_the_others_kept) {
    using namespace std::chrono_literals;
    create_topic(topic("patient.created"), 1);
    const auto events = produce_events("patient.created", 3);
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    {
        de::database db(db_path);
        de::idempotency_store store(db, "g");
        db.atomic([&] {
            for (int i = 0; i < 100; ++i) store.record("old-" + std::to_string(i), now - 2 * 3'600'000);
            store.record("recent", now - 60'000);
        });
    }
    auto o = options({"patient.created"});
    o.max_events = events.size();
    o.dedupe_retention = 1h;
    de::consumer consumer(settings(), o);
    consumer.on("patient.created", record_effect);
    EXPECT_EQ(consumer.run().applied, events.size());

    de::database db(db_path);
    de::idempotency_store store(db, "g");
    EXPECT_FALSE(store.contains("old-0"));
    EXPECT_FALSE(store.contains("old-99"));
    EXPECT_TRUE(store.contains("recent"));
    EXPECT_EQ(store.size(), 1 + static_cast<std::int64_t>(events.size()));
}

TEST_F(consumer_hermetic, an_event_in_a_topic_its_type_does_not_route_to_is_dead_lettered_unless_accepted) {
    an_event_in_a_topic_its_type_does_not_route_to_is_dead_lettered_unless_accepted();
}

TEST_F(consumer_hermetic, a_message_whose_key_and_headers_fill_its_dead_letter_is_dead_lettered_cut_and_the_rest_applied) {
    a_message_whose_key_and_headers_fill_its_dead_letter_is_dead_lettered_cut_and_the_rest_applied();
}

}  // namespace
