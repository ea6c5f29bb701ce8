// The consumer in the background (consumer::start): its own thread, stopped by stop(timeout),
// and wait_until_caught_up, which must not return before what was produced before the call is
// applied, however fresh (the cached high watermarks the lag uses may trail it).
#include "consumer_scenarios.hpp"

namespace domain_events::testing {

using namespace std::chrono_literals;

void consumer_scenarios::in_the_background_it_catches_up_on_a_backlog_and_then_on_what_came_after() {
    create_topic(topic("patient.created"), 3);
    const auto backlog = produce_events("patient.created", 60);
    auto o = options({"patient.created"});
    o.idle_exit = 0ms;  // runs until stopped
    domain_events::consumer background(settings(), o);
    background.on("patient.created", record_effect);
    background.start();
    EXPECT_THROW(background.start(), usage_error);
    EXPECT_THROW(static_cast<void>(background.run()), usage_error);

    ASSERT_TRUE(background.wait_until_caught_up(60s)) << background.status().last_error;
    EXPECT_EQ(committed_effects(), 60) << "returned before the backlog was applied";
    EXPECT_TRUE(background.status().running);

    // Produced while it runs, waited for at once: the ends are asked at the call.
    const auto later = produce_events("patient.created", 25, "later");
    ASSERT_TRUE(background.wait_until_caught_up(60s)) << background.status().last_error;
    EXPECT_EQ(committed_effects(), 85) << "returned before what came after the backlog was applied";

    ASSERT_TRUE(background.stop(10s));
    EXPECT_FALSE(background.status().running);
    EXPECT_FALSE(background.status().failed);
    EXPECT_FALSE(background.wait_until_caught_up(1s)) << "a stopped consumer never catches up";
    auto ids = ids_of(backlog);
    for (const auto& id : ids_of(later)) ids.push_back(id);
    expect_each_applied_once(ids);
}

}  // namespace domain_events::testing
