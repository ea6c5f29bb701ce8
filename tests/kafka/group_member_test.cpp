// Closing a consumer group member against the real broker: it leaves the group, with either
// rebalance protocol. It unsubscribes and serves the revoke through poll before librdkafka's
// close (docs/consuming.md, "Leaving the group"); had it not left, its partitions would stay
// its own until the broker expired its session. The mock cluster cannot show this: it waits
// out most of a session timeout before it elects a leader in a group that just emptied.
#include <gtest/gtest.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <string>

#include "consume/group_member.hpp"
#include "kafka_tier.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

class group_member_kafka : public de::testing::kafka_tier, public ::testing::WithParamInterface<const char*> {
protected:
    void SetUp() override {
        de::testing::kafka_tier::SetUp();
        if (HasFatalFailure()) return;
        de::testing::create_topic(bootstrap_, topic, 2, 1);
    }

    /** A member of the test's group with the protocol under test and a 45 s session timeout. */
    de::detail::group_member member(de::detail::group_member_counters& counters) {
        const std::map<std::string, std::string> extra{{"partition.assignment.strategy", GetParam()},
                                                       {"session.timeout.ms", "45000"}};
        return de::detail::group_member(de::detail::group_member_properties(bootstrap_, topic + "-group", true, extra),
                                        *log, counters);
    }

    /** Polls until `counters` shows both partitions assigned, for at most `limit`. */
    static bool takes_both(de::detail::group_member& m, de::detail::group_member_counters& counters,
                           std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (counters.progress.assignment().size() < 2 && std::chrono::steady_clock::now() < deadline) {
            (void)m.poll(100ms);
        }
        return counters.progress.assignment().size() == 2;
    }

    const std::string topic = de::testing::unique_topic("member-leaves");
    std::shared_ptr<spdlog::logger> log =
        std::make_shared<spdlog::logger>("group_member_kafka", std::make_shared<spdlog::sinks::null_sink_mt>());
};

TEST_P(group_member_kafka, a_closed_member_has_left_its_group) {
    de::detail::group_member_counters first_counters;
    {
        auto first = member(first_counters);
        first.subscribe({topic});
        ASSERT_TRUE(takes_both(first, first_counters, 30s)) << "the first member never took both partitions";
        first.close();
    }
    de::detail::group_member_counters second_counters;
    auto second = member(second_counters);
    second.subscribe({topic});
    // Well under the first member's 45 s session: only its leaving frees the partitions this soon.
    EXPECT_TRUE(takes_both(second, second_counters, 20s)) << "the second member waited for the first's session to expire";
    second.close();
    EXPECT_TRUE(second_counters.progress.assignment().empty());
}

INSTANTIATE_TEST_SUITE_P(protocols, group_member_kafka, ::testing::Values("range", "cooperative-sticky"),
                         [](const auto& test) { return test.index == 0 ? "eager" : "cooperative"; });

}  // namespace
