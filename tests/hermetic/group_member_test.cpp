// The consumer's group membership on the mock cluster, with each rebalance protocol. Its
// callbacks assign and revoke the way the configured protocol requires, without asking librdkafka
// which protocol the group uses (from a callback served by rd_kafka_consumer_close that blocked
// forever or answered null). Closing serves no rebalance inside rd_kafka_consumer_close at all:
// a dynamic member leaves the group through poll first, since in librdkafka 2.0 a callback
// served there can hang or abort the process. An assignment that arrives while nobody polls is
// what makes closing serve one.
#include <gtest/gtest.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <domain_events/publish/topic_routing.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "consume/group_member.hpp"
#include "mock_cluster_test.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

class group_member_hermetic : public de::testing::mock_cluster_test,
                              public ::testing::WithParamInterface<const char*> {
protected:
    group_member_hermetic() : mock_cluster_test("member") { create_topics({"patient.created"}, 2); }

    /** A member of group `group` with the protocol under test, reading from the beginning. */
    de::detail::group_member member_of(const std::string& group, std::map<std::string, std::string> extra = {}) {
        extra.emplace("partition.assignment.strategy", GetParam());
        return de::detail::group_member(
            de::detail::group_member_properties(cluster.bootstrap_servers(), group + "-" + prefix, true, extra), *log,
            counters);
    }

    /** Closes a member of `group` while the assignment of its first join waits, unpolled, in its queue. */
    void close_with_an_assignment_queued(const std::string& group, std::map<std::string, std::string> extra) {
        extra.emplace("statistics.interval.ms", "0");  // the only event that can be queued is then the rebalance
        auto member = member_of(group, extra);
        member.subscribe({topic});
        // The join completes in librdkafka's threads; its assignment waits in the queue poll serves.
        for (int i = 0; i < 600 && member.queued_events() == 0; ++i) std::this_thread::sleep_for(50ms);
        ASSERT_GT(member.queued_events(), 0u) << "no assignment within 30 s";
        EXPECT_EQ(counters.rebalances.load(), 0u) << "nothing polled yet";
        member.close();
    }

    const std::string topic = de::topic_for_event_type(prefix, "patient.created");
    std::shared_ptr<spdlog::logger> log =
        std::make_shared<spdlog::logger>("group_member_test", std::make_shared<spdlog::sinks::null_sink_mt>());
    de::detail::group_member_counters counters;
};

TEST_P(group_member_hermetic, closing_serves_an_assignment_nobody_polled_for) {
    // Hung or aborted in librdkafka about 1 run in 8 under ASan when rd_kafka_consumer_close
    // served these rebalances; the member leaves the group first, serving both through poll.
    close_with_an_assignment_queued("closing", {});
    EXPECT_EQ(counters.rebalances.load(), 2u) << "the queued assignment, then the revoke of leaving";
    EXPECT_TRUE(counters.progress.assignment().empty()) << "and left the group with nothing assigned";
}

TEST_P(group_member_hermetic, a_static_member_closing_serves_an_assignment_nobody_polled_for) {
    // A static member does not leave the group (KIP-345): it serves what is queued, then closes.
    close_with_an_assignment_queued("static", {{"group.instance.id", "static-" + prefix}});
    EXPECT_GE(counters.rebalances.load(), 1u) << "the queued assignment was served";
    EXPECT_TRUE(counters.progress.assignment().empty()) << "and nothing is assigned once closed";
}

TEST_P(group_member_hermetic, takes_its_assignment_and_reads_with_either_protocol) {
    // Assigning the way the other protocol does is refused by librdkafka, and nothing is fetched.
    for (const auto* key : {"p-1", "p-2", "p-3", "p-4"}) de::testing::produce_one(cluster.bootstrap_servers(), topic, key, "{}");
    auto member = member_of("reading");
    member.subscribe({topic});
    int read = 0;
    for (int i = 0; i < 300 && read < 4; ++i) {
        const auto message = member.poll(100ms);
        if (message && message->err == RD_KAFKA_RESP_ERR_NO_ERROR) ++read;
    }
    EXPECT_EQ(read, 4);
    EXPECT_EQ(counters.progress.assignment().size(), 2u);
    member.close();
    EXPECT_TRUE(counters.progress.assignment().empty());
}

INSTANTIATE_TEST_SUITE_P(protocols, group_member_hermetic, ::testing::Values("range", "cooperative-sticky"),
                         [](const auto& test) { return test.index == 0 ? "eager" : "cooperative"; });

}  // namespace
