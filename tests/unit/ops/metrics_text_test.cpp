// The Prometheus text writer: HELP/TYPE lines, escaping, cumulative histogram buckets, names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/ops/metrics_text.hpp>

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

TEST(metrics_text, counters_and_gauges_have_help_and_type_lines) {
    de::metrics_text page;
    page.counter("x_published_total", "Events published", 42);
    page.gauge("x_age_seconds", "Age", 1.5);
    EXPECT_EQ(page.text(),
              "# HELP x_published_total Events published\n# TYPE x_published_total counter\nx_published_total 42\n"
              "# HELP x_age_seconds Age\n# TYPE x_age_seconds gauge\nx_age_seconds 1.5\n");
}

TEST(metrics_text, label_values_and_help_are_escaped) {
    de::metrics_text page;
    const de::metric_sample samples[] = {{{{"topic", "a\"b\\c\nd"}, {"partition", "0"}}, 7}};
    page.gauge("x_lag", "Lag per\npartition \\ topic", samples);
    EXPECT_THAT(page.text(), ::testing::HasSubstr("# HELP x_lag Lag per\\npartition \\\\ topic\n"));
    EXPECT_THAT(page.text(), ::testing::HasSubstr("x_lag{partition=\"0\",topic=\"a\\\"b\\\\c\\nd\"} 7\n"));
}

TEST(metrics_text, histogram_buckets_are_cumulative_in_seconds) {
    de::latency_histogram h;
    h.record(100us);
    h.record(400us);
    h.record(20s);  // beyond the last bound: only +Inf
    de::metrics_text page;
    page.histogram_seconds("x_latency_seconds", "Latency", h.snapshot());
    const auto& t = page.text();
    EXPECT_THAT(t, ::testing::HasSubstr("# TYPE x_latency_seconds histogram\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_bucket{le=\"5e-05\"} 0\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_bucket{le=\"0.0001\"} 1\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_bucket{le=\"0.00025\"} 1\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_bucket{le=\"0.0005\"} 2\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_bucket{le=\"10\"} 2\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_sum 20.0005\n"));
    EXPECT_THAT(t, ::testing::HasSubstr("x_latency_seconds_count 3\n"));
}

TEST(metrics_text, bad_names_are_refused_naming_them) {
    de::metrics_text page;
    EXPECT_THROW(page.counter("x_published", "no _total", 1), de::usage_error);
    EXPECT_THROW(page.gauge("9lives", "starts with a digit", 1), de::usage_error);
    const de::metric_sample bad_label[] = {{{{"bad-label", "v"}}, 1}};
    try {
        page.gauge("x_ok", "help", bad_label);
        FAIL() << "a label with a dash was accepted";
    } catch (const de::usage_error& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("bad-label"));
    }
}

}  // namespace
