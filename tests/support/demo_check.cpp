#include "demo_check.hpp"

#include <chrono>
#include <tuple>

#include <domain_events/consume/subscription.hpp>
#include <healthcore/consumers/audit_log.hpp>
#include <healthcore/consumers/notifications.hpp>
#include <healthcore/consumers/patient_directory.hpp>

#include <gtest/gtest.h>

#include "child_process.hpp"

namespace domain_events::testing {

demo_summary parse_demo_summary(const std::string& output) {
    demo_summary s;
    const auto line_start = output.rfind("summary: ");
    if (line_start == std::string::npos) return s;
    const auto line = output.substr(line_start, output.find('\n', line_start) - line_start);
    const auto figure = [&line](const std::string& label) {
        const auto at = line.find(label + " ");
        return at == std::string::npos ? -1L : std::stol(line.substr(at + label.size() + 1));
    };
    s.written = figure("written");
    s.published = figure("published");
    s.consumed = figure("consumed");
    s.duplicates_skipped = figure("duplicates skipped");
    return s;
}

long expected_consumed(const config& settings) {
    namespace hcc = healthcore::consumers;
    std::vector<subscription> subscribed;
    for (const auto& program : {hcc::audit_log_program(), hcc::notifications_program(), hcc::patient_directory_program()})
        subscribed.emplace_back(program.default_events, topic_prefix_of(settings), settings.routing);
    long expected = 0;
    for (const auto& e : committed_events(settings.database_path, settings)) {
        if (e.dead) continue;
        const auto type = e.topic.substr(topic_prefix_of(settings).size() + 1);
        for (const auto& s : subscribed) expected += s.matches(type) ? 1 : 0;
    }
    return expected;
}

demo_run run_demo_and_verify(const std::string& demo, const std::vector<std::string>& args, const config& settings,
                             const std::string& log_path) {
    std::vector<std::string> argv{demo, "--db", settings.database_path};
    argv.insert(argv.end(), args.begin(), args.end());
    demo_run run;
    std::tie(run.status, run.output) =
        run_command(argv,
                    {{"KAFKA_BOOTSTRAP_SERVERS", settings.bootstrap_servers},
                     {"KAFKA_TOPIC_PREFIX", topic_prefix_of(settings)},
                     {"KAFKA_ENABLED", "true"}},
                    log_path, std::chrono::minutes(5));
    run.summary = parse_demo_summary(run.output);
    if (run.status == 0) run.delivery = verify_outbox_delivered(settings.database_path, settings, std::chrono::seconds(60));
    return run;
}

void expect_summary_matches_topics(const demo_run& run, const config& settings) {
    EXPECT_TRUE(run.delivery.ok()) << describe(run.delivery);
    EXPECT_EQ(static_cast<long>(run.delivery.committed), run.summary.written) << run.output;
    EXPECT_EQ(static_cast<long>(run.delivery.delivered), run.summary.written) << run.output;
    EXPECT_EQ(run.summary.published, run.summary.written) << run.output;
    EXPECT_EQ(run.summary.consumed, expected_consumed(settings))
        << "each event once per example consumer subscribed to its type:\n" << run.output;
    // The demo's consumers read every copy in the topics, or stop once they applied everything:
    // never more duplicates than the relay's re-sends put there (one per consumer at most).
    EXPECT_GE(run.summary.duplicates_skipped, 0) << run.output;
    EXPECT_LE(run.summary.duplicates_skipped, static_cast<long>(3 * run.delivery.duplicates)) << run.output;
    EXPECT_NE(run.output.find("patient directory: equals the patients table"), std::string::npos) << run.output;
}

}  // namespace domain_events::testing
