// relay_options are checked like consumer_options: a bad value is refused when the relay is
// constructed, with the field named, instead of being clamped silently on the relay's thread.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/relay/relay.hpp>

#include "prefixed_config.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

de::config settings() {
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = "127.0.0.1:1";  // nothing connects before start()
    return c;
}

std::string refusal(const de::relay_options& o) {
    try {
        de::relay r(settings(), o);
    } catch (const de::config_error& e) {
        return e.what();
    }
    return {};
}

TEST(relay_options, the_defaults_and_what_the_relay_command_sets_are_accepted) {
    EXPECT_EQ(refusal({}), "");
    de::relay_options command;  // src/cli/relay_command.cpp sets only the owner id
    command.owner_id = "relay-1";
    EXPECT_EQ(refusal(command), "");
    de::relay_options edges;
    edges.linger = 900'000ms;
    edges.max_in_flight = 1;
    edges.initial_backoff = 1ms;
    edges.max_backoff = 1ms;
    edges.retention_interval = 1ms;
    edges.retention_batch = 1;
    EXPECT_EQ(refusal(edges), "");
}

TEST(relay_options, each_bad_value_is_refused_with_its_field_named) {
    const auto refused = [](auto change, const std::string& expected) {
        de::relay_options o;
        change(o);
        EXPECT_THAT(refusal(o), HasSubstr(expected));
    };
    refused([](auto& o) { o.linger = -1ms; }, "relay_options.linger=-1ms: must be 0..900000ms");
    refused([](auto& o) { o.linger = 900'001ms; }, "relay_options.linger=900001ms");
    refused([](auto& o) { o.max_in_flight = 0; }, "relay_options.max_in_flight=0: must be >= 1");
    refused([](auto& o) { o.initial_backoff = 0ms; }, "relay_options.initial_backoff=0ms: must be positive");
    refused([](auto& o) { o.max_backoff = 50ms; }, "relay_options.max_backoff=50ms: must be >= initial_backoff (100ms)");
    refused([](auto& o) { o.retention_interval = 0ms; }, "relay_options.retention_interval=0ms: must be positive");
    refused([](auto& o) { o.retention_batch = 0; }, "relay_options.retention_batch=0: must be >= 1");
}

TEST(relay_options, every_bad_value_is_named_in_one_error) {
    de::relay_options o;
    o.max_in_flight = 0;
    o.retention_batch = 0;
    o.initial_backoff = -5ms;
    const auto text = refusal(o);
    EXPECT_THAT(text, HasSubstr("relay_options.max_in_flight"));
    EXPECT_THAT(text, HasSubstr("relay_options.retention_batch"));
    EXPECT_THAT(text, HasSubstr("relay_options.initial_backoff=-5ms"));
}

}  // namespace
