// The consumer's scenarios (tests/support/consumer_scenarios.cpp) against the real broker
// (`scripts/kafka.sh start`, auto topic creation off): topics are created through the Admin
// API, rebalances and session timeouts are the broker's own.
#include <gtest/gtest.h>

#include "kafka_tier.hpp"

#include "consumer_scenarios.hpp"

namespace de = domain_events;

namespace {

class kafka_consumer : public de::testing::consumer_scenarios {
protected:
    void SetUp() override {
        bootstrap_ = de::testing::env_or_empty("KAFKA_BOOTSTRAP_SERVERS");
        ASSERT_FALSE(bootstrap_.empty()) << de::testing::missing_broker_message(de::testing::single_node_variable, de::testing::single_node_start);
        consumer_scenarios::SetUp();
    }
    std::string bootstrap() const override { return bootstrap_; }
    void create_topic(const std::string& topic, int partitions) override {
        de::testing::create_topic(bootstrap_, topic, partitions, 1);
    }

    std::string bootstrap_;
};

TEST_F(kafka_consumer, applies_subscribed_events_and_after_stop_a_restart_resumes_after_them) {
    applies_subscribed_events_and_after_stop_a_restart_resumes_after_them();
}

TEST_F(kafka_consumer, in_the_background_it_catches_up_on_a_backlog_and_then_on_what_came_after) {
    in_the_background_it_catches_up_on_a_backlog_and_then_on_what_came_after();
}

TEST_F(kafka_consumer, consumers_started_before_their_topics_exist_read_each_within_seconds_of_its_creation) {
    consumers_started_before_their_topics_exist_read_each_within_seconds_of_its_creation();
}

TEST_F(kafka_consumer, the_same_event_twice_and_a_replayed_batch_take_effect_once) {
    the_same_event_twice_and_a_replayed_batch_take_effect_once();
}

TEST_F(kafka_consumer, poison_messages_go_to_the_dead_letter_topic_with_their_story_and_good_ones_are_applied) {
    poison_messages_go_to_the_dead_letter_topic_with_their_story_and_good_ones_are_applied();
}

TEST_F(kafka_consumer, a_throwing_handler_is_retried_and_then_dead_lettered_with_its_effects_rolled_back) {
    a_throwing_handler_is_retried_and_then_dead_lettered_with_its_effects_rolled_back();
}

TEST_F(kafka_consumer, a_pattern_subscribes_by_regex_and_types_without_a_handler_are_skipped_unless_a_fallback) {
    a_pattern_subscribes_by_regex_and_types_without_a_handler_are_skipped_unless_a_fallback();
}

TEST_F(kafka_consumer, per_aggregate_routing_reads_the_aggregate_topic_and_filters_by_event_type) {
    per_aggregate_routing_reads_the_aggregate_topic_and_filters_by_event_type();
}

TEST_F(kafka_consumer, a_member_joining_mid_stream_rebalances_and_every_event_takes_effect_once) {
    a_member_joining_mid_stream_rebalances_and_every_event_takes_effect_once();
}

TEST_F(kafka_consumer, killed_between_the_commit_and_the_offset_applies_nothing_twice_and_misses_nothing) {
    killed_between_the_commit_and_the_offset_applies_nothing_twice_and_misses_nothing();
}

TEST_F(kafka_consumer, three_replicas_over_six_partitions_one_killed_mid_stream_apply_every_event_once) {
    three_replicas_over_six_partitions_one_killed_mid_stream_apply_every_event_once();
}

TEST_F(kafka_consumer, a_handler_failing_mid_batch_keeps_the_earlier_events_once_and_applies_the_later_ones_after) {
    a_handler_failing_mid_batch_keeps_the_earlier_events_once_and_applies_the_later_ones_after();
}

TEST_F(kafka_consumer, a_handler_failing_after_a_duplicate_and_a_skip_in_its_batch_counts_and_stores_each_once) {
    a_handler_failing_after_a_duplicate_and_a_skip_in_its_batch_counts_and_stores_each_once();
}

TEST_F(kafka_consumer, a_duplicate_within_one_batch_takes_effect_once) {
    a_duplicate_within_one_batch_takes_effect_once();
}

TEST_F(kafka_consumer, killed_after_a_batch_commit_before_its_offsets_applies_nothing_twice_and_misses_nothing) {
    killed_after_a_batch_commit_before_its_offsets_applies_nothing_twice_and_misses_nothing();
}

TEST_F(kafka_consumer, a_message_whose_handler_kills_the_process_is_dead_lettered_after_three_deaths_and_the_rest_applied) {
    a_message_whose_handler_kills_the_process_is_dead_lettered_after_three_deaths_and_the_rest_applied();
}

TEST_F(kafka_consumer, sensitive_fields_from_another_producer_are_dead_lettered_or_redacted_before_a_handler_sees_them) {
    sensitive_fields_from_another_producer_are_dead_lettered_or_redacted_before_a_handler_sees_them();
}

TEST_F(kafka_consumer, an_event_in_a_topic_its_type_does_not_route_to_is_dead_lettered_unless_accepted) {
    an_event_in_a_topic_its_type_does_not_route_to_is_dead_lettered_unless_accepted();
}

TEST_F(kafka_consumer, a_message_whose_key_and_headers_fill_its_dead_letter_is_dead_lettered_cut_and_the_rest_applied) {
    a_message_whose_key_and_headers_fill_its_dead_letter_is_dead_lettered_cut_and_the_rest_applied();
}

}  // namespace
