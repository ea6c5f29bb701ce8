// The batch scenarios: a handler failing mid-batch, duplicates within a batch, a kill after a
// batch commit and before its offsets.
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

void consumer_scenarios::a_handler_failing_mid_batch_keeps_the_earlier_events_once_and_applies_the_later_ones_after() {
    create_topic(topic("patient.created"), 1);  // one partition: read in this order, back to back
    const auto events = produce_events("patient.created", 10);
    const auto& failing = events[4];
    auto o = options({"patient.created"});
    o.max_events = events.size();
    o.max_batch_delay = 10s;  // only the failure ends the first batch
    de::consumer consumer(settings(), o);
    int failing_calls = 0;
    std::int64_t committed_at_failure = -1, committed_at_retry = -1;
    consumer.on("patient.created", [&](const de::event& e, de::database& db) {
        record_effect(e, db);
        if (e.event_id != failing.event_id) return;
        if (++failing_calls == 1) {
            committed_at_failure = committed_effects();
            throw std::runtime_error("timeout");
        }
        committed_at_retry = committed_effects();
    });
    const auto c = consumer.run();
    EXPECT_EQ(c.applied, events.size());
    EXPECT_EQ(c.handler_retries, 1u);
    EXPECT_EQ(c.dead_lettered, 0u);
    // The four before it were in its batch, uncommitted when it failed; the failure rolled the
    // batch back, applied the four again (a savepoint each) and committed them before the pause
    // and the retry; its own first effect was rolled back.
    EXPECT_EQ(committed_at_failure, 0);
    EXPECT_EQ(committed_at_retry, 4);
    EXPECT_EQ(effects_in_order(), ids_of(events));  // each once, the later ones after the retry
    expect_each_applied_once(ids_of(events));
}

void consumer_scenarios::a_handler_failing_after_a_duplicate_and_a_skip_in_its_batch_counts_and_stores_each_once() {
    const auto a = test_event("patient.created", "a");
    const auto b = test_event("patient.created", "b");
    const auto unsubscribed = test_event("patient.updated", "u");  // in this topic, but not subscribed: skipped
    const auto failing = test_event("patient.created", "f");
    const auto c = test_event("patient.created", "c");
    // One batch until the failure. Its events went into the transaction without savepoints, so
    // the failure rolls all of it back and applies a, b, the duplicate and the skip again, each
    // in a savepoint.
    auto o = produce_for_one_batch({&a, &b, &a, &unsubscribed, &failing, &c});
    o.accept_topic_mismatch = true;  // else the patient.updated in patient.created's topic is dead-lettered
    std::vector<std::string> hooked;
    o.after_commit = [&](const de::event& e) { hooked.push_back(e.event_id); };
    std::map<std::string, int> handler_calls;
    de::consumer consumer(settings(), o);
    consumer.on("patient.created", [&](const de::event& e, de::database& db) {
        record_effect(e, db);  // written before the throw: must not survive it
        if (++handler_calls[e.event_id] == 1 && e.event_id == failing.event_id) throw std::runtime_error("timeout");
    });
    const auto counters = consumer.run();
    EXPECT_EQ(counters.applied, 4u);
    EXPECT_EQ(counters.duplicates, 1u);
    EXPECT_EQ(counters.skipped, 1u);
    EXPECT_EQ(counters.handler_retries, 1u);
    EXPECT_EQ(effects_in_order(), ids_of({a, b, failing, c}));
    EXPECT_EQ(hooked, ids_of({a, b, failing, c}));  // after_commit once per committed event
    // The events before the failure ran twice (rolled back, applied again); the failing one twice
    // (its attempts); the one after it once.
    EXPECT_EQ(handler_calls, (std::map<std::string, int>{{a.event_id, 2}, {b.event_id, 2}, {failing.event_id, 2},
                                                         {c.event_id, 1}}));

    // Every offset was stored, none early: the group's next run reads only what came after.
    const auto later = test_event("patient.created", "later");
    produce_all(bootstrap(), {as_record(later, topic("patient.created"))});
    o.max_events = 1;
    o.after_commit = nullptr;
    de::consumer next_run(settings(), o);
    next_run.on("patient.created", record_effect);
    const auto next = next_run.run();
    EXPECT_EQ(next.applied, 1u);
    EXPECT_EQ(next.duplicates + next.skipped, 0u);
    expect_each_applied_once(ids_of({a, b, failing, c, later}));
}

void consumer_scenarios::a_duplicate_within_one_batch_takes_effect_once() {
    const auto a = test_event("patient.created", "a");
    const auto b = test_event("patient.created", "b");
    const auto c = test_event("patient.created", "c");
    auto o = produce_for_one_batch({&a, &b, &a, &c, &b, &a});
    std::vector<std::int64_t> committed_seen;
    o.after_commit = [&](const de::event&) { committed_seen.push_back(committed_effects()); };
    de::consumer consumer(settings(), o);
    consumer.on("patient.created", record_effect);
    const auto counters = consumer.run();
    EXPECT_EQ(counters.applied, 3u);
    EXPECT_EQ(counters.duplicates, 3u);
    // One batch: the hook ran after its single commit, which held all three effects.
    EXPECT_EQ(committed_seen, (std::vector<std::int64_t>{3, 3, 3}));
    expect_each_applied_once(ids_of({a, b, c}));
}

void consumer_scenarios::killed_after_a_batch_commit_before_its_offsets_applies_nothing_twice_and_misses_nothing() {
    create_topic(de::topic_for_event_type(prefix, "patient.created"), 3);
    const auto ids = ids_of(produce_events("patient.created", 300));
    // Batches of at most 50: the kill comes after the commit of the batch holding the 120th
    // event, before any of that batch's offsets was stored. The cap leaves over 130 events
    // for the restarted member, so it is past its start (and its signal handling) when the test
    // sees every effect and stops it.
    auto crashing = start_consumer({{"CONSUMER_CRASH_AFTER", "120"}, {"CONSUMER_MAX_BATCH_EVENTS", "50"}});
    ASSERT_EQ(crashing->wait(120s), 128 + SIGKILL) << crashing->output();
    const auto at_kill = effects().size();
    EXPECT_GE(at_kill, 120u);  // the whole batch committed
    ASSERT_LT(at_kill, 120u + 50u);  // at most the rest of its batch
    for (const auto& [id, n] : effects()) EXPECT_EQ(n, 1) << id;

    restart_and_expect_each_applied_once(ids);
}

}  // namespace domain_events::testing
