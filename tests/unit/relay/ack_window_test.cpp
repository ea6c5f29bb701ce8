// The relay's acknowledgement window: only an acknowledged prefix may be marked published (the
// outbox's watermark); acknowledgements behind a gap wait, and survive a rewind so their events
// are not sent again.
#include <gtest/gtest.h>

#include "relay/ack_window.hpp"

namespace de = domain_events;

namespace {

de::time_point_ms at(int ms) { return de::time_point_ms{std::chrono::milliseconds{ms}}; }

std::vector<std::int64_t> take(de::detail::ack_window& w, std::int64_t* through = nullptr) {
    std::vector<std::int64_t> out;
    const auto t = w.take_acknowledged_prefix(out);
    if (through != nullptr) *through = t;
    return out;
}

}  // namespace

TEST(ack_window, an_acknowledgement_behind_a_gap_waits_until_the_gap_fills) {
    de::detail::ack_window w;
    for (std::int64_t p : {3, 4, 7, 8}) w.produced(p, at(static_cast<int>(p)));  // 5, 6: gone rows
    EXPECT_EQ(w.acknowledge(7), at(7));
    EXPECT_EQ(w.acknowledge(8), at(8));
    std::int64_t through = -1;
    EXPECT_TRUE(take(w, &through).empty()) << "3 and 4 are not acknowledged yet";
    EXPECT_EQ(through, 0);
    EXPECT_EQ(w.acknowledge(4), at(4));
    EXPECT_TRUE(take(w).empty());
    EXPECT_EQ(w.acknowledge(3), at(3));
    EXPECT_EQ(take(w, &through), (std::vector<std::int64_t>{3, 4, 7, 8}));
    EXPECT_EQ(through, 8);
    EXPECT_EQ(w.size(), 0u);
}

TEST(ack_window, a_repeated_or_unknown_acknowledgement_is_ignored) {
    de::detail::ack_window w;
    w.produced(10, at(1));
    EXPECT_TRUE(w.acknowledge(10).has_value());
    EXPECT_FALSE(w.acknowledge(10).has_value()) << "counted once in the latency histogram";
    EXPECT_FALSE(w.acknowledge(11).has_value());
    EXPECT_FALSE(w.acknowledge(9).has_value());
}

TEST(ack_window, a_rewind_resends_the_unacknowledged_and_skips_what_kafka_already_has) {
    de::detail::ack_window w;
    for (std::int64_t p = 1; p <= 5; ++p) w.produced(p, at(0));
    w.acknowledge(1);
    w.acknowledge(3);
    w.acknowledge(5);
    EXPECT_EQ(take(w), (std::vector<std::int64_t>{1}));
    w.rewind();  // 2 failed; 4 was purged
    EXPECT_EQ(w.size(), 0u);
    EXPECT_EQ(w.held(), 2u);

    // The next pass reads from the watermark (1) again.
    EXPECT_FALSE(w.already_acknowledged(2));
    w.produced(2, at(0));
    EXPECT_TRUE(w.already_acknowledged(3)) << "acknowledged before the rewind: not sent twice";
    EXPECT_FALSE(w.already_acknowledged(4));
    w.produced(4, at(0));
    EXPECT_TRUE(w.already_acknowledged(5));
    EXPECT_EQ(w.held(), 0u);
    EXPECT_TRUE(take(w).empty()) << "3 and 5 wait for 2 and 4";
    w.acknowledge(4);
    EXPECT_TRUE(take(w).empty());
    w.acknowledge(2);
    EXPECT_EQ(take(w), (std::vector<std::int64_t>{2, 3, 4, 5}));
}

TEST(ack_window, held_acknowledgements_survive_a_second_rewind_and_skip_rows_that_are_gone) {
    de::detail::ack_window w;
    for (std::int64_t p = 1; p <= 4; ++p) w.produced(p, at(0));
    w.acknowledge(4);
    w.rewind();
    EXPECT_FALSE(w.already_acknowledged(1));
    w.produced(1, at(0));
    w.rewind();  // failed again before reaching 4
    EXPECT_EQ(w.held(), 1u);
    // 1 was dead-lettered meanwhile: the next pass starts at 2.
    EXPECT_FALSE(w.already_acknowledged(2));
    w.produced(2, at(0));
    EXPECT_TRUE(w.already_acknowledged(4)) << "3 is gone too; 4 is still recognised";
    w.acknowledge(2);
    EXPECT_EQ(take(w), (std::vector<std::int64_t>{2, 4}));
}

TEST(ack_window, losing_the_lease_forgets_everything) {
    de::detail::ack_window w;
    w.produced(1, at(0));
    w.produced(2, at(0));
    w.acknowledge(2);
    w.rewind();
    w.clear();
    EXPECT_EQ(w.size(), 0u);
    EXPECT_EQ(w.held(), 0u);
    EXPECT_FALSE(w.already_acknowledged(2));
}
