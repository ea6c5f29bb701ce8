#pragma once
// The consumer's scenarios (DESIGN.md guarantees 4, 6, 7), written once and run by the hermetic
// tier against librdkafka's mock cluster and by the kafka tier against a real broker. A tier
// derives a fixture that says how to reach its cluster and create a topic, then runs each
// scenario in a TEST_F of its own.
#include <gtest/gtest.h>

#include <domain_events/config.hpp>
#include <domain_events/consume/consumer.hpp>
#include <domain_events/event.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "kafka_client.hpp"
#include "temp_dir.hpp"

namespace domain_events::testing {

class consumer_scenarios : public ::testing::Test {
protected:
    /** The cluster's bootstrap servers. */
    [[nodiscard]] virtual std::string bootstrap() const = 0;
    /** Creates a topic with `partitions` partitions (the brokers may not auto-create it). */
    virtual void create_topic(const std::string& topic, int partitions) = 0;
    /** True where a metadata request naming a topic creates it (librdkafka's mock cluster). */
    [[nodiscard]] virtual bool metadata_requests_create_topics() const { return false; }
    /** Extra environment for consumer processes (e.g. session timeouts). */
    [[nodiscard]] virtual std::map<std::string, std::string> process_env() const { return {}; }

    void SetUp() override;

    void applies_subscribed_events_and_after_stop_a_restart_resumes_after_them();
    void the_same_event_twice_and_a_replayed_batch_take_effect_once();
    void poison_messages_go_to_the_dead_letter_topic_with_their_story_and_good_ones_are_applied();
    void a_throwing_handler_is_retried_and_then_dead_lettered_with_its_effects_rolled_back();
    void a_pattern_subscribes_by_regex_and_types_without_a_handler_are_skipped_unless_a_fallback();
    void per_aggregate_routing_reads_the_aggregate_topic_and_filters_by_event_type();
    void a_member_joining_mid_stream_rebalances_and_every_event_takes_effect_once();
    void killed_between_the_commit_and_the_offset_applies_nothing_twice_and_misses_nothing();
    void three_replicas_over_six_partitions_one_killed_mid_stream_apply_every_event_once();
    // Batching: events read back to back share one transaction; a savepoint each after a failure.
    void a_handler_failing_mid_batch_keeps_the_earlier_events_once_and_applies_the_later_ones_after();
    void a_handler_failing_after_a_duplicate_and_a_skip_in_its_batch_counts_and_stores_each_once();
    void a_duplicate_within_one_batch_takes_effect_once();
    void killed_after_a_batch_commit_before_its_offsets_applies_nothing_twice_and_misses_nothing();
    // Crash loop (consumer_crash_scenario.cpp): one message that kills every process applying it.
    void a_message_whose_handler_kills_the_process_is_dead_lettered_after_three_deaths_and_the_rest_applied();
    // Another producer's sensitive fields (consumer_crash_scenario.cpp): refused or redacted.
    void sensitive_fields_from_another_producer_are_dead_lettered_or_redacted_before_a_handler_sees_them();
    // Routing (consumer_crash_scenario.cpp): an envelope in another type's topic.
    void an_event_in_a_topic_its_type_does_not_route_to_is_dead_lettered_unless_accepted();
    // A dead letter fits its topic whatever the original's key and headers (consumer_crash_scenario.cpp).
    void a_message_whose_key_and_headers_fill_its_dead_letter_is_dead_lettered_cut_and_the_rest_applied();

    // In the background (consumer_background_scenario.cpp): start(), wait_until_caught_up(), stop(timeout).
    void in_the_background_it_catches_up_on_a_backlog_and_then_on_what_came_after();

    // Started with the relay on a fresh prefix (consumer_new_topics_scenario.cpp).
    void consumers_started_before_their_topics_exist_read_each_within_seconds_of_its_creation();

    // Helpers shared by the scenarios.
    [[nodiscard]] config settings(topic_routing routing = topic_routing::per_event_type) const;
    [[nodiscard]] consumer_options options(std::vector<std::string> types, std::string group = "g") const;
    [[nodiscard]] std::string topic(const std::string& event_type) const;
    static void record_effect(const event& e, database& db);
    /** event id -> number of effects; empty before the table exists. */
    [[nodiscard]] std::map<std::string, int> effects() const;
    /** Effects committed so far, read on a connection of its own (inside a handler too). */
    [[nodiscard]] std::int64_t committed_effects() const;
    /** Event ids of the effects in the order they were written. */
    [[nodiscard]] std::vector<std::string> effects_in_order() const;
    std::vector<event> produce_events(const std::string& type, int count, const std::string& aggregate = "a");
    /** Produces `events` in this order (repeats too) to a new one-partition topic of
     *  patient.created; returns options that read all of them, in one batch unless it fails. */
    consumer_options produce_for_one_batch(const std::vector<const event*>& events);
    [[nodiscard]] std::vector<record> dead_letters(std::size_t count) const;
    std::unique_ptr<child_process> start_consumer(const std::map<std::string, std::string>& more_env);
    static std::vector<std::string> ids_of(const std::vector<event>& events);
    void expect_each_applied_once(const std::vector<std::string>& ids) const;
    void restart_and_expect_each_applied_once(const std::vector<std::string>& ids);
    /** Polls `done` every 20 ms until it holds or `limit` passed; true when it holds. */
    template <class Condition>
    static bool eventually(Condition done, std::chrono::milliseconds limit = std::chrono::seconds(120)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }

    temp_dir dir;
    std::string prefix = unique_topic("cons");
    std::string db_path = dir.file("consumer.db");
    int runs = 0;
};

}  // namespace domain_events::testing
