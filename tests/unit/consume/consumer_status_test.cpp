// The pure parts of the consumer's status and HTTP endpoint: offsets read from librdkafka's
// statistics, the lag and stall rules, the progress tracker, the readiness rule, the metrics
// page (checked by promtool) and the detailed document.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/ops/consumer_http.hpp>
#include <domain_events/error.hpp>
#include <domain_events/ops/metrics_text.hpp>

#include <fstream>
#include <thread>

#include "consume/consumer_progress.hpp"
#include "child_process.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace detail = domain_events::detail;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

namespace {

// Shaped like librdkafka 2.0's statistics document (trimmed): topic t, partitions 0 and 1 and
// the internal -1.
const char* const statistics_document = R"({
  "name": "rdkafka#consumer-1", "type": "consumer",
  "topics": {"t": {"topic": "t", "partitions": {
    "0": {"partition": 0, "app_offset": 6, "stored_offset": -1001, "committed_offset": 5,
          "lo_offset": 0, "hi_offset": 10, "consumer_lag": 5},
    "1": {"partition": 1, "app_offset": -1001, "stored_offset": -1001, "committed_offset": -1001,
          "lo_offset": 2, "hi_offset": 3, "consumer_lag": -1},
    "-1": {"partition": -1, "committed_offset": -1001, "lo_offset": -1001, "hi_offset": -1001}}}}})";

TEST(consumer_progress_offsets, are_read_from_the_statistics_document_for_the_wanted_partitions) {
    const auto found = detail::offsets_from_statistics(statistics_document, {{"t", 0}, {"t", 1}, {"t", 7}, {"u", 0}});
    ASSERT_EQ(found.size(), 2u) << "partitions the document lacks are left out";
    const auto& p0 = found.at({"t", 0});
    EXPECT_EQ(p0.committed, 5);
    EXPECT_EQ(p0.low, 0);
    EXPECT_EQ(p0.high, 10);
    const auto& p1 = found.at({"t", 1});
    EXPECT_EQ(p1.committed, std::nullopt) << "-1001 is RD_KAFKA_OFFSET_INVALID";
    EXPECT_EQ(p1.low, 2);
    EXPECT_EQ(p1.high, 3);
}

TEST(consumer_progress_offsets, a_document_that_is_not_json_or_has_no_topics_gives_nothing) {
    EXPECT_TRUE(detail::offsets_from_statistics("{not json", {{"t", 0}}).empty());
    EXPECT_TRUE(detail::offsets_from_statistics(R"({"topics": []})", {{"t", 0}}).empty());
    EXPECT_TRUE(detail::offsets_from_statistics(R"({"topics": {"t": {"partitions": {"0": 5}}}})", {{"t", 0}}).empty());
    const auto odd = detail::offsets_from_statistics(R"({"topics": {"t": {"partitions": {"0": {"hi_offset": "9"}}}}})",
                                                     {{"t", 0}});
    ASSERT_EQ(odd.size(), 1u);
    EXPECT_EQ(odd.at({"t", 0}).high, std::nullopt) << "a string is not an offset";
}

TEST(consumer_progress_lag, position_is_the_later_of_stored_and_committed_else_the_start) {
    const detail::topic_partition tp{"t", 3};
    auto lag = detail::lag_of(tp, {.stored = 7, .committed = 5, .low = 0, .high = 10}, true);
    EXPECT_EQ(lag.topic, "t");
    EXPECT_EQ(lag.partition, 3);
    EXPECT_EQ(lag.position, 7);
    EXPECT_EQ(lag.end_offset, 10);
    EXPECT_EQ(lag.lag, 3);
    EXPECT_EQ(detail::lag_of(tp, {.stored = 4, .committed = 8, .low = 0, .high = 10}, true).lag, 2)
        << "another member committed further before the partition came back";
    EXPECT_EQ(detail::lag_of(tp, {.stored = std::nullopt, .committed = 5, .low = 0, .high = 10}, true).lag, 5);
    EXPECT_EQ(detail::lag_of(tp, {.stored = std::nullopt, .committed = std::nullopt, .low = 2, .high = 10}, true).lag, 8)
        << "a group that never committed starts at the low watermark";
    EXPECT_EQ(detail::lag_of(tp, {.stored = std::nullopt, .committed = std::nullopt, .low = 2, .high = 10}, false).lag,
              std::nullopt)
        << "reading only new messages: where it started is not known";
    EXPECT_EQ(detail::lag_of(tp, {.stored = 5, .committed = std::nullopt, .low = 0, .high = std::nullopt}, true).lag,
              std::nullopt);
    EXPECT_EQ(detail::lag_of(tp, {.stored = 12, .committed = std::nullopt, .low = 0, .high = 10}, true).lag, 0)
        << "a stale end never gives a negative lag";
}

TEST(consumer_progress_stall, needs_running_assigned_no_progress_for_the_period_and_lag_or_a_message_in_hand) {
    de::partition_lag behind;
    behind.lag = 4;
    de::partition_lag caught_up;
    caught_up.lag = 0;
    de::partition_lag unknown;
    const std::vector<de::partition_lag> lagging{caught_up, behind};
    const std::vector<de::partition_lag> idle{caught_up, unknown};
    EXPECT_TRUE(detail::is_stalled(true, lagging, false, 5s, 5s));
    EXPECT_FALSE(detail::is_stalled(true, lagging, false, 4999ms, 5s)) << "progress within the period";
    EXPECT_FALSE(detail::is_stalled(false, lagging, false, 5s, 5s)) << "not running";
    EXPECT_FALSE(detail::is_stalled(true, {}, true, 5s, 5s)) << "nothing assigned";
    EXPECT_FALSE(detail::is_stalled(true, lagging, false, std::nullopt, 5s)) << "never assigned";
    EXPECT_FALSE(detail::is_stalled(true, idle, false, 1h, 5s)) << "idle and caught up is not stalled";
    EXPECT_TRUE(detail::is_stalled(true, idle, true, 5s, 5s)) << "a handler that does not return";
}

TEST(consumer_progress, tracks_assignment_positions_watermarks_progress_and_errors) {
    detail::consumer_progress progress;
    auto s = progress.take();
    EXPECT_TRUE(s.partitions.empty());
    EXPECT_EQ(s.since_progress, std::nullopt);
    EXPECT_TRUE(s.last_error.empty());

    progress.assigned({{"t", 1}, {"t", 0}});
    progress.statistics(statistics_document);
    s = progress.take();
    ASSERT_EQ(s.partitions.size(), 2u);
    EXPECT_EQ(s.partitions[0].partition, 0) << "sorted";
    EXPECT_EQ(s.partitions[0].lag, 5) << "committed 5, end 10";
    EXPECT_EQ(s.partitions[1].lag, 1) << "never committed: from the low watermark 2 to 3";
    ASSERT_TRUE(s.since_progress);
    EXPECT_LT(*s.since_progress, 10s) << "the assignment starts the stall clock";

    progress.received();
    EXPECT_TRUE(progress.take().message_in_hand);
    progress.dealt_with({"t", 0}, 8);
    progress.high_watermarks({{{"t", 0}, 12}, {{"u", 0}, 99}});
    s = progress.take();
    EXPECT_FALSE(s.message_in_hand);
    EXPECT_EQ(s.partitions[0].position, 8);
    EXPECT_EQ(s.partitions[0].end_offset, 12);
    EXPECT_EQ(s.partitions[0].lag, 4);
    EXPECT_EQ(s.partitions.size(), 2u) << "a watermark of a partition not assigned is ignored";

    progress.statistics(statistics_document);
    EXPECT_EQ(progress.take().partitions[0].end_offset, 12) << "an older document never moves the end back";

    progress.error("Local: Broker transport failure");
    s = progress.take();
    EXPECT_EQ(s.last_error, "Local: Broker transport failure");
    EXPECT_TRUE(s.last_error_at);

    progress.revoked({{"t", 0}});
    s = progress.take();
    ASSERT_EQ(s.partitions.size(), 1u);
    EXPECT_EQ(s.partitions[0].partition, 1);
    progress.assigned({{"t", 0}});
    EXPECT_EQ(progress.take().partitions[0].position, std::nullopt) << "a partition that comes back starts afresh";
    progress.unassigned();
    EXPECT_TRUE(progress.take().partitions.empty());
}

TEST(consumer_progress, snapshots_taken_while_the_run_thread_writes_are_consistent) {
    detail::consumer_progress progress;
    progress.assigned({{"t", 0}});
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (std::int64_t i = 1; i <= 20'000; ++i) {
            progress.received();
            progress.dealt_with({"t", 0}, i);
            progress.high_watermarks({{{"t", 0}, i + 5}});
            if (i % 1000 == 0) progress.error("error " + std::to_string(i));
        }
        done = true;
    });
    while (!done) {
        const auto s = progress.take();
        ASSERT_EQ(s.partitions.size(), 1u);
        if (s.partitions[0].lag) {
            EXPECT_LE(*s.partitions[0].lag, 5);
        }
    }
    writer.join();
    EXPECT_EQ(progress.take().partitions[0].lag, 5);
}

de::consumer_status sample_status() {
    de::consumer_status s;
    s.group_id = "reminders";
    s.running = true;
    de::partition_lag p0;
    p0.topic = "healthcore.appointment.booked";
    p0.partition = 0;
    p0.end_offset = 10;
    p0.position = 7;
    p0.lag = 3;
    de::partition_lag p1;
    p1.topic = "healthcore.appointment.booked";
    p1.partition = 1;
    s.partitions = {p0, p1};
    s.counters.applied = 5;
    s.counters.duplicates = 2;
    s.counters.dead_lettered = 1;
    de::latency_histogram h;
    for (int i = 0; i < 5; ++i) h.record(std::chrono::microseconds(300 * (i + 1)));
    s.counters.handler_latency = h.snapshot();
    s.since_progress = 1500ms;
    return s;
}

TEST(consumer_metrics, page_has_the_totals_lag_per_partition_and_the_handler_histogram_labelled_by_group) {
    const auto page = de::consumer_metrics(sample_status());
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_applied_total{group=\"reminders\"} 5\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_duplicates_total{group=\"reminders\"} 2\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_dead_lettered_total{group=\"reminders\"} 1\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_lag_messages{group=\"reminders\",partition=\"0\","
                                "topic=\"healthcore.appointment.booked\"} 3\n"));
    EXPECT_THAT(page, Not(HasSubstr("partition=\"1\""))) << "an unknown lag is absent, not 0";
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_assigned_partitions{group=\"reminders\"} 2\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_stalled{group=\"reminders\"} 0\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_missing_topics{group=\"reminders\"} 0\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_last_progress_age_seconds{group=\"reminders\"} 1.5\n"));
    EXPECT_THAT(page, HasSubstr("\n# TYPE domain_events_consumer_handler_duration_seconds histogram\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_handler_duration_seconds_bucket{group=\"reminders\",le=\"0.0005\"} 1\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_handler_duration_seconds_bucket{group=\"reminders\",le=\"+Inf\"} 5\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_handler_duration_seconds_count{group=\"reminders\"} 5\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_handler_duration_seconds_sum{group=\"reminders\"} 0.0045\n"));
}

// promtool is the judge of the format (Debian package prometheus; CI installs it).
void expect_promtool_accepts(const std::string& page) {
    de::testing::temp_dir dir;
    const auto file = dir.file("metrics.txt");
    std::ofstream(file) << page;
    const auto [code, out] = de::testing::run_command({"/bin/sh", "-c", "promtool check metrics < '" + file + "'"}, {},
                                                      dir.file("promtool.log"));
    EXPECT_NE(code, 127) << "promtool is not installed: run scripts/install-deps.sh (package prometheus)";
    EXPECT_EQ(code, 0) << out << "\n" << page;
}

TEST(consumer_metrics, pages_pass_promtool_with_and_without_an_assignment) {
    expect_promtool_accepts(de::consumer_metrics(sample_status()));
    de::consumer_status idle;
    idle.group_id = "g \"quoted\"";
    expect_promtool_accepts(de::consumer_metrics(idle));
}

TEST(metrics_text, labelled_counters_gauges_and_histograms) {
    de::metrics_text page;
    page.counter("x_total", "X", 3, {{"group", "g"}});
    page.gauge("x_up", "Up", 1, {{"group", "g"}});
    page.histogram_seconds("x_seconds", "S", de::latency_snapshot{}, {{"group", "g"}});
    EXPECT_THAT(page.text(), HasSubstr("\nx_total{group=\"g\"} 3\n"));
    EXPECT_THAT(page.text(), HasSubstr("\nx_up{group=\"g\"} 1\n"));
    EXPECT_THAT(page.text(), HasSubstr("\nx_seconds_bucket{group=\"g\",le=\"+Inf\"} 0\n"));
    EXPECT_THAT(page.text(), HasSubstr("\nx_seconds_count{group=\"g\"} 0\n"));
    EXPECT_THROW(page.histogram_seconds("y_seconds", "S", de::latency_snapshot{}, {{"le", "1"}}), de::usage_error);
}

TEST(consumer_readiness, names_the_first_reason_that_applies) {
    const de::broker_status up{.reachable = true, .brokers = 1, .error = {}};
    const de::broker_status down{.reachable = false, .brokers = 0, .error = "Local: Broker transport failure"};
    auto s = sample_status();
    EXPECT_TRUE(de::consumer_readiness(s, up).ready);
    const auto unreachable = de::consumer_readiness(s, down);
    EXPECT_FALSE(unreachable.ready);
    EXPECT_THAT(unreachable.reason, HasSubstr("Kafka is unreachable: Local: Broker transport failure"));

    s.stalled = true;
    s.last_error = "handler for appointment.booked event e1: disk full";
    const auto stalled = de::consumer_readiness(s, up);
    EXPECT_FALSE(stalled.ready);
    EXPECT_THAT(stalled.reason, HasSubstr("stalled: lag 3"));
    EXPECT_THAT(stalled.reason, HasSubstr("disk full"));

    s.partitions.clear();
    EXPECT_THAT(de::consumer_readiness(s, up).reason, HasSubstr("no partitions assigned"));
    s.missing_topics = {"healthcore.appointment.booked", "healthcore.appointment.cancelled"};
    EXPECT_THAT(de::consumer_readiness(s, up).reason,
                HasSubstr("its topics do not exist yet (2 missing, first healthcore.appointment.booked)"));
    s.running = false;
    EXPECT_THAT(de::consumer_readiness(s, up).reason, HasSubstr("not running"));
}

TEST(consumer_detailed, document_has_group_assignment_lag_totals_last_error_and_broker) {
    auto s = sample_status();
    s.last_error = "Local: Broker transport failure";
    s.last_error_at = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 10h;
    const auto d = de::consumer_detailed(s, {.reachable = true, .brokers = 3, .error = {}});
    EXPECT_EQ(d.at("status"), "ready");
    EXPECT_EQ(d.at("group"), "reminders");
    EXPECT_TRUE(d.at("assigned").get<bool>());
    EXPECT_FALSE(d.at("stalled").get<bool>());
    ASSERT_EQ(d.at("assignment").size(), 2u);
    EXPECT_EQ(d.at("assignment")[0].at("lag"), 3);
    EXPECT_EQ(d.at("assignment")[0].at("end_offset"), 10);
    EXPECT_EQ(d.at("assignment")[0].at("position"), 7);
    EXPECT_TRUE(d.at("assignment")[1].at("lag").is_null());
    EXPECT_EQ(d.at("total_lag"), 3);
    EXPECT_EQ(d.at("totals").at("applied"), 5);
    EXPECT_EQ(d.at("totals").at("duplicates"), 2);
    EXPECT_EQ(d.at("totals").at("dead_lettered"), 1);
    EXPECT_EQ(d.at("last_error"), "Local: Broker transport failure");
    EXPECT_EQ(d.at("last_error_at"), "2026-11-23T10:00:00.000Z");
    EXPECT_EQ(d.at("broker").at("brokers"), 3);
    EXPECT_DOUBLE_EQ(d.at("seconds_since_progress").get<double>(), 1.5);
    EXPECT_EQ(d.at("missing_topics"), nlohmann::json::array());
    s.missing_topics = {"healthcore.patient.*"};
    EXPECT_EQ(de::consumer_detailed(s, {.reachable = true, .brokers = 3, .error = {}}).at("missing_topics"),
              nlohmann::json::array({"healthcore.patient.*"}));
}

}  // namespace
