#include <gtest/gtest.h>

#include <domain_events/domain_events.hpp>

TEST(smoke, umbrella_header_version_matches_the_build) {
    EXPECT_STREQ(DOMAIN_EVENTS_VERSION, DOMAIN_EVENTS_EXPECTED_VERSION);
    int major = 0, minor = 0, patch = 0;
    ASSERT_EQ(std::sscanf(DOMAIN_EVENTS_VERSION, "%d.%d.%d", &major, &minor, &patch), 3);
    EXPECT_EQ(DOMAIN_EVENTS_VERSION_NUMBER, major * 10000 + minor * 100 + patch);
}
