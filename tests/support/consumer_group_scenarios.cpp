// The group scenarios: members joining mid-stream and members killed between the commit and
// the offset; each event takes effect once.
#include "consumer_scenarios.hpp"

#include <gmock/gmock.h>
#include <signal.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/consume/dead_letter_topic_headers.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <set>

#include "build_tree.hpp"
#include "event_producer.hpp"

namespace domain_events::testing {

namespace de = domain_events;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

void consumer_scenarios::a_member_joining_mid_stream_rebalances_and_every_event_takes_effect_once() {
    create_topic(topic("patient.created"), 6);
    const auto events = produce_events("patient.created", 3'000);
    const auto slow_effect = [](const de::event& e, de::database& db) {
        std::this_thread::sleep_for(2ms);  // keeps the stream going while the second member joins
        record_effect(e, db);
    };
    de::consumer first(settings(), options({"patient.created"}));
    // An eager rebalance revokes everything before assigning again: an event applied with no
    // partition assigned was read ahead from a revoked partition and should have been dropped.
    int applied_unassigned = 0;
    first.on("patient.created", [&](const de::event& e, de::database& db) {
        if (first.status().partitions.empty()) ++applied_unassigned;
        slow_effect(e, db);
    });
    std::thread first_running([&] { first.run(); });
    ASSERT_TRUE(eventually([&] { return first.counters().applied >= 50; }));

    de::consumer second(settings(), options({"patient.created"}));
    second.on("patient.created", slow_effect);
    std::thread second_running([&] { second.run(); });
    const bool all = eventually([&] { return effects().size() >= events.size(); });
    first.stop();
    second.stop();
    first_running.join();
    second_running.join();
    ASSERT_TRUE(all) << "applied " << effects().size() << " of " << events.size();
    EXPECT_GE(first.counters().rebalances, 2u);  // assigned, revoked, assigned again
    EXPECT_EQ(applied_unassigned, 0);
    EXPECT_GE(second.counters().applied, 1u);
    for (const auto& [id, n] : effects()) EXPECT_EQ(n, 1) << id;
    EXPECT_EQ(first.counters().applied + second.counters().applied, events.size());
}

// After a kill: a new member applies the rest and recognises what the killed one had committed
// (at least the event or batch whose offsets were never stored comes again), each event once.
// No idle exit: it waits out the killed member's session before its partitions come back.
void consumer_scenarios::restart_and_expect_each_applied_once(const std::vector<std::string>& ids) {
    auto restarted = start_consumer({});
    ASSERT_TRUE(eventually([&] { return effects().size() == ids.size(); })) << restarted->output();
    restarted->signal(SIGTERM);
    ASSERT_EQ(restarted->wait(30s), 0) << restarted->output();
    expect_each_applied_once(ids);
    EXPECT_THAT(restarted->output(), ::testing::ContainsRegex("duplicates=[1-9]"));
}

void consumer_scenarios::killed_between_the_commit_and_the_offset_applies_nothing_twice_and_misses_nothing() {
    create_topic(de::topic_for_event_type(prefix, "patient.created"), 3);
    const auto ids = ids_of(produce_events("patient.created", 300));
    // One event per transaction: the kill comes right after the 120th event's own commit.
    auto crashing = start_consumer({{"CONSUMER_CRASH_AFTER", "120"}, {"CONSUMER_MAX_BATCH_EVENTS", "1"}});
    ASSERT_EQ(crashing->wait(120s), 128 + SIGKILL) << crashing->output();
    EXPECT_EQ(effects().size(), 120u);  // the 120th committed, and its offset never stored

    restart_and_expect_each_applied_once(ids);
}

void consumer_scenarios::three_replicas_over_six_partitions_one_killed_mid_stream_apply_every_event_once() {
    create_topic(de::topic_for_event_type(prefix, "patient.created"), 6);
    const auto ids = ids_of(produce_events("patient.created", 3'000));
    const std::map<std::string, std::string> slow = {{"CONSUMER_HANDLER_DELAY_US", "1000"}};
    std::vector<std::unique_ptr<child_process>> replicas;
    for (int i = 0; i < 3; ++i) replicas.push_back(start_consumer(slow));
    ASSERT_TRUE(eventually([&] { return effects().size() >= 600; })) << replicas[0]->output();
    replicas[1]->signal(SIGKILL);
    ASSERT_EQ(replicas[1]->wait(10s), 128 + SIGKILL);
    EXPECT_LT(effects().size(), ids.size()) << "the stream ended before the kill";

    ASSERT_TRUE(eventually([&] { return effects().size() == ids.size(); }))
        << replicas[0]->output() << replicas[2]->output();
    for (const int survivor : {0, 2}) {
        replicas[survivor]->signal(SIGTERM);
        EXPECT_EQ(replicas[survivor]->wait(30s), 0) << replicas[survivor]->output();
    }
    expect_each_applied_once(ids);
    if (HasFailure()) {  // which replica applied what, and what each said
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            ADD_FAILURE() << "replica " << i << " (pid " << replicas[i]->pid() << "):\n" << replicas[i]->output();
        }
    }
}

}  // namespace domain_events::testing
