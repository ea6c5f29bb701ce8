// The demo as a user runs it (a process), on the mock cluster: its summary must match what its
// outbox committed and what the topics hold, and its consumers what they must have applied.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <domain_events/config.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "child_process.hpp"
#include "demo_check.hpp"
#include "mock_cluster_test.hpp"

namespace de = domain_events;

namespace {

// The demo's "<type> <n> recorded" lines, in order.
std::string recorded_lines(const std::string& output) {
    std::string lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (line.find(" recorded") != std::string::npos) lines += line + "\n";
    }
    return lines;
}

class demo_hermetic : public de::testing::mock_cluster_test {
protected:
    demo_hermetic() : mock_cluster_test("demo") {}

    de::config settings() const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = prefix;
        c.database_path = db_path;
        return c;
    }
};

TEST_F(demo_hermetic, every_event_the_summary_counts_is_in_its_topic) {
    const auto run = de::testing::run_demo_and_verify(HEALTHCORE_DEMO, {"--patients", "40", "--appointments", "60", "--seed", "7"},
                                                      settings(), dir.file("demo.log"));
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_GT(run.summary.written, 100) << "40 patients and 60 appointments make at least 101 events";
    de::testing::expect_summary_matches_topics(run, settings());
    for (const auto* name : {"audit-log-consumer", "notification-consumer", "patient-directory-consumer"}) {
        EXPECT_NE(run.output.find(std::string("consumer ") + name + ": applied "), std::string::npos) << run.output;
    }
    for (const auto* type : {"patient.created", "patient.updated", "patient.deleted", "appointment.booked",
                             "appointment.cancelled", "appointment.completed"}) {
        EXPECT_NE(run.output.find(type), std::string::npos) << "the day records " << type;
    }
}

TEST_F(demo_hermetic, the_same_seed_writes_the_same_day) {
    auto first = settings();
    auto second = settings();
    second.database_path = dir.file("second.db");
    second.topic_prefix = prefix + "_again";
    const auto a = de::testing::run_demo_and_verify(HEALTHCORE_DEMO, {"--patients", "15", "--seed", "3"}, first, dir.file("a.log"));
    const auto b = de::testing::run_demo_and_verify(HEALTHCORE_DEMO, {"--patients", "15", "--seed", "3"}, second, dir.file("b.log"));
    ASSERT_EQ(a.status, 0) << a.output;
    ASSERT_EQ(b.status, 0) << b.output;
    EXPECT_EQ(a.summary.written, b.summary.written);
    EXPECT_EQ(recorded_lines(a.output), recorded_lines(b.output)) << "the same events of each type";
}

TEST_F(demo_hermetic, without_a_broker_it_starts_the_embedded_cluster_and_says_so) {
    const auto [status, output] = de::testing::run_command(
        {HEALTHCORE_DEMO, "--db", db_path, "--patients", "5", "--appointments", "5"},
        {{"KAFKA_BOOTSTRAP_SERVERS", ""}, {"KAFKA_ENABLED", "true"}}, dir.file("embedded.log"));
    ASSERT_EQ(status, 0) << output;
    EXPECT_NE(output.find("embedded mock cluster"), std::string::npos) << output;
    const auto summary = de::testing::parse_demo_summary(output);
    EXPECT_GT(summary.written, 0);
    EXPECT_EQ(summary.published, summary.written) << output;
}

TEST_F(demo_hermetic, no_relay_only_writes_and_leaves_the_backlog_pending) {
    const auto [status, output] = de::testing::run_command(
        {HEALTHCORE_DEMO, "--db", db_path, "--patients", "5", "--appointments", "4", "--no-relay"}, {},
        dir.file("norelay.log"));
    ASSERT_EQ(status, 0) << output;
    const auto summary = de::testing::parse_demo_summary(output);
    EXPECT_EQ(summary.published, 0) << output;
    EXPECT_EQ(summary.consumed, 0) << "nothing published, nothing consumed:\n" << output;
    EXPECT_EQ(counts().pending, summary.written) << "the backlog waits for `domain-events relay`";
    EXPECT_NE(output.find("domain-events relay --db"), std::string::npos) << output;
}

TEST_F(demo_hermetic, a_bad_flag_exits_2_and_names_it) {
    for (const auto& [args, named] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--patients", "zero"}, "--patients"}, {{"--appointments", "-3"}, "--appointments"}, {{"--bogus"}, "--bogus"}}) {
        std::vector<std::string> argv{HEALTHCORE_DEMO, "--db", db_path};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto [status, output] = de::testing::run_command(argv, {}, dir.file("bad.log"));
        EXPECT_EQ(status, 2) << output;
        EXPECT_NE(output.find(named), std::string::npos) << output;
    }
}

}  // namespace
