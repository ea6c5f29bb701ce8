// What a consumer waits for among the cluster's topics, and when it looks again
// (src/consume/missing_topics.hpp): decisions only, no Kafka.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/consume/subscription.hpp>

#include <set>

#include "consume/missing_topics.hpp"
#include "consume/missing_topics_refresher.hpp"

namespace de = domain_events;
namespace detail = domain_events::detail;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

namespace {

using clock_type = detail::missing_topics_schedule::clock;

detail::expected_topics expect(std::vector<std::string> entries, de::topic_routing routing,
                               std::vector<std::string> handled = {}) {
    const de::subscription s(std::move(entries), "hc", routing);
    return detail::expect_topics(s, "hc", routing, handled);
}

TEST(missing_topics, per_event_type_expects_the_exact_types_each_pattern_and_the_handled_types_under_it) {
    const auto e = expect({"appointment.booked", "patient.*"}, de::topic_routing::per_event_type,
                          {"appointment.booked", "patient.updated", "patient.created"});
    EXPECT_EQ(e.prefix, "hc");
    EXPECT_THAT(e.names, ElementsAre("hc.appointment.booked", "hc.patient.created", "hc.patient.updated"));
    EXPECT_THAT(e.patterns, ElementsAre("patient.*"));
}

TEST(missing_topics, per_aggregate_expects_the_aggregate_topics_only) {
    const auto e = expect({"patient.created", "patient.*", "appointment.booked"}, de::topic_routing::per_aggregate,
                          {"patient.created", "patient.updated"});
    EXPECT_THAT(e.names, ElementsAre("hc.appointment", "hc.patient"));
    EXPECT_THAT(e.patterns, IsEmpty());
}

TEST(missing_topics, a_pattern_matches_the_topics_its_subscription_regex_matches) {
    EXPECT_TRUE(detail::pattern_matches_topic("hc", "patient.*", "hc.patient.created"));
    EXPECT_TRUE(detail::pattern_matches_topic("hc", "patient.*", "hc.patient."));  // `*` may be empty, as in the regex
    EXPECT_TRUE(detail::pattern_matches_topic("hc", "*.deleted", "hc.lab_result.v2.deleted"));
    EXPECT_FALSE(detail::pattern_matches_topic("hc", "patient.*", "hc.patient"));
    EXPECT_FALSE(detail::pattern_matches_topic("hc", "patient.*", "hc.appointment.booked"));
    EXPECT_FALSE(detail::pattern_matches_topic("hc", "patient.*", "other.patient.created"));
    EXPECT_FALSE(detail::pattern_matches_topic("hc", "patient.*", "hcx.patient.created"));
    EXPECT_FALSE(detail::pattern_matches_topic("hc", "patient.*", "hc"));
    // The regex's wildcard is [a-z0-9_.]*: a topic another program named otherwise is not read.
    EXPECT_FALSE(detail::pattern_matches_topic("hc", "patient.*", "hc.patient.Created"));
    EXPECT_FALSE(detail::pattern_matches_topic("hc", "patient.*", "hc.patient.created-v2"));
}

TEST(missing_topics, missing_are_absent_names_and_patterns_matching_nothing) {
    const auto e = expect({"appointment.booked", "patient.*"}, de::topic_routing::per_event_type, {"patient.updated"});
    EXPECT_THAT(detail::missing_among(e, {}),
                ElementsAre("hc.appointment.booked", "hc.patient.*", "hc.patient.updated"));
    // A topic under the pattern without a handler satisfies the pattern, not the handled type.
    EXPECT_THAT(detail::missing_among(e, {"hc.patient.created", "other.appointment.booked", "hc.dlq"}),
                ElementsAre("hc.appointment.booked", "hc.patient.updated"));
    EXPECT_THAT(detail::missing_among(e, {"hc.patient.updated", "hc.appointment.booked"}), IsEmpty());
}

class missing_topics_schedule : public ::testing::Test {
protected:
    static constexpr auto interval = 1000ms;
    const clock_type::time_point start{std::chrono::seconds{100}};
    detail::missing_topics_schedule watch{expect({"patient.created", "patient.updated"}, de::topic_routing::per_event_type),
                                          interval, start, 42};

    static void expect_a_pause_after(std::optional<clock_type::time_point> next, clock_type::time_point from) {
        ASSERT_TRUE(next.has_value());
        EXPECT_GE(*next - from, interval * 4 / 5);
        EXPECT_LE(*next - from, interval * 6 / 5);
    }
};

TEST_F(missing_topics_schedule, the_first_look_is_a_pause_after_the_start_and_nothing_is_known_missing_before) {
    expect_a_pause_after(watch.next_look(), start);
    EXPECT_THAT(watch.missing(), IsEmpty());
}

TEST_F(missing_topics_schedule, looks_again_after_a_pause_while_something_is_missing_and_never_once_nothing_is) {
    const auto first = start + 1s;
    auto change = watch.looked({"hc.dlq"}, first);
    EXPECT_THAT(change.lost, ElementsAre("hc.patient.created", "hc.patient.updated"));
    EXPECT_THAT(change.found, IsEmpty());
    expect_a_pause_after(watch.next_look(), first);

    change = watch.looked({"hc.dlq"}, first + 1s);
    EXPECT_TRUE(change.empty()) << "nothing changed: nothing to log";

    change = watch.looked({"hc.patient.created"}, first + 2s);
    EXPECT_THAT(change.found, ElementsAre("hc.patient.created"));
    EXPECT_THAT(watch.missing(), ElementsAre("hc.patient.updated"));
    expect_a_pause_after(watch.next_look(), first + 2s);

    change = watch.looked({"hc.patient.created", "hc.patient.updated"}, first + 3s);
    EXPECT_THAT(change.found, ElementsAre("hc.patient.updated"));
    EXPECT_THAT(watch.missing(), IsEmpty());
    EXPECT_FALSE(watch.next_look().has_value()) << "librdkafka's own refresh from now on";
}

TEST_F(missing_topics_schedule, the_pauses_vary_so_they_never_fall_in_step_with_the_groups_timers) {
    std::set<clock_type::duration> pauses;
    auto now = start;
    for (int i = 0; i < 20; ++i) {
        now += 1s;
        static_cast<void>(watch.looked({}, now));
        pauses.insert(*watch.next_look() - now);
    }
    EXPECT_GT(pauses.size(), 10u);
}

TEST_F(missing_topics_schedule, a_look_without_an_answer_is_made_again_after_a_pause) {
    const auto failed = start + 1s;
    watch.look_failed(failed);
    expect_a_pause_after(watch.next_look(), failed);
    EXPECT_THAT(watch.missing(), IsEmpty());
}

TEST_F(missing_topics_schedule, a_topic_reported_unknown_once_all_existed_is_looked_for_at_once) {
    EXPECT_FALSE(watch.reported_unknown(start)) << "a look is due anyway";
    static_cast<void>(watch.looked({"hc.patient.created", "hc.patient.updated"}, start + 1s));
    ASSERT_FALSE(watch.next_look().has_value());

    const auto deleted = start + 60s;
    EXPECT_TRUE(watch.reported_unknown(deleted));
    EXPECT_EQ(watch.next_look(), deleted);
    const auto change = watch.looked({"hc.patient.created"}, deleted);
    EXPECT_THAT(change.lost, ElementsAre("hc.patient.updated"));
    expect_a_pause_after(watch.next_look(), deleted);
}

TEST(missing_topic_refresh, is_off_or_at_least_a_tenth_of_a_second) {
    EXPECT_FALSE(detail::missing_topic_refresh_problem(0ms));
    EXPECT_FALSE(detail::missing_topic_refresh_problem(100ms));
    EXPECT_FALSE(detail::missing_topic_refresh_problem(2s));
    const auto problem = detail::missing_topic_refresh_problem(50ms);
    ASSERT_TRUE(problem);
    EXPECT_THAT(*problem, ::testing::HasSubstr("missing_topic_refresh=50ms"));
    EXPECT_TRUE(detail::missing_topic_refresh_problem(-1ms));
}

}  // namespace
