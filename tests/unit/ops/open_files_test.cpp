// How many connections an HTTP server takes on within the process's open-file limit: never so
// many that SQLite and librdkafka are left without descriptors.
#include <gtest/gtest.h>

#include "ops/open_files.hpp"

namespace dd = domain_events::detail;

TEST(open_files, every_connection_fits_when_the_limit_leaves_room_for_the_rest) {
    EXPECT_EQ(dd::connections_within(4096, 4096 + dd::descriptors_kept_back), 4096u);
    EXPECT_EQ(dd::connections_within(4096, 1'000'000), 4096u);
}

TEST(open_files, a_lower_limit_caps_the_connections_and_keeps_descriptors_back) {
    EXPECT_EQ(dd::connections_within(4096, 1024), 1024u - dd::descriptors_kept_back);
    EXPECT_EQ(dd::connections_within(4096, 200), 100u);  // too small to keep 128 back: half
    EXPECT_EQ(dd::connections_within(4096, 1), 1u);
    EXPECT_EQ(dd::connections_within(0, 1024), 1u);
}
