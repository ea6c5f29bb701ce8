#include <gtest/gtest.h>

#include <domain_events/ops/latency_histogram.hpp>

namespace de = domain_events;
using namespace std::chrono_literals;

// Handlers take microseconds and commit-to-ack takes milliseconds: both must land in buckets
// narrow enough for their quantiles to mean something.
TEST(latency_histogram, quantiles_of_microsecond_latencies_stay_in_their_bucket) {
    de::latency_histogram h;
    for (int i = 0; i < 900; ++i) h.record(7us);
    for (int i = 0; i < 100; ++i) h.record(40us);
    const auto s = h.snapshot();
    EXPECT_EQ(s.count, 1000u);
    EXPECT_LE(s.quantile(0.5), 10us) << "7 us falls in the first bucket, (0, 10 us]";
    EXPECT_GT(s.quantile(0.95), 25us);
    EXPECT_LE(s.quantile(0.95), 50us);
}

TEST(latency_histogram, quantiles_of_millisecond_latencies_and_beyond_the_last_bound) {
    de::latency_histogram h;
    for (int i = 0; i < 99; ++i) h.record(1500us);
    h.record(30s);
    const auto s = h.snapshot();
    EXPECT_GT(s.quantile(0.5), 1000us);
    EXPECT_LE(s.quantile(0.5), 2000us);
    EXPECT_EQ(s.quantile(1.0), 10s) << "+Inf reports the largest finite bound";
    EXPECT_EQ(de::latency_histogram{}.snapshot().quantile(0.5), 0us);
}
