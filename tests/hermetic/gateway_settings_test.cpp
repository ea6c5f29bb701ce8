// The gateway's settings file: untrusted input, bounded, each error naming the file and the
// path of the field at fault; topic settings per type reach the relay's topic overrides.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <domain_events/error.hpp>

#include "gateway_settings.hpp"

namespace de = domain_events;
namespace gw = domain_events::gateway;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::string& text) {
    try {
        (void)gw::parse_gateway_settings(text, {}, "gateway.json");
    } catch (const de::config_error& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(gateway_settings_test, reads_types_with_their_topics_and_rules) {
    const auto s = gw::parse_gateway_settings(R"({
      "event_types": {"order.placed": {"topic": {"partitions": 6, "replication_factor": 3, "retention_ms": 86400000},
                                       "max_payload_bytes": 4096, "sensitive_fields": ["card_number"], "sensitive_policy": "redact"}},
      "max_batch_events": 50, "rate_limit": {"requests_per_second": 100}, "relay_linger_ms": 20,
      "back_pressure": {"max_backlog_events": 10, "retry_after_seconds": 3}})", {}, "gateway.json");
    const auto& type = s.event_types.at("order.placed");
    ASSERT_TRUE(type.topic);
    EXPECT_EQ(type.topic->partitions, 6);
    EXPECT_EQ(type.topic->replication_factor, 3);
    EXPECT_EQ(type.topic->retention_ms, 86400000);
    EXPECT_EQ(type.rules.max_payload_bytes, 4096u);
    EXPECT_EQ(type.rules.sensitive_fields, std::vector<std::string>{"card_number"});
    EXPECT_EQ(type.rules.on_sensitive, de::sensitive_field_policy::redact);
    EXPECT_EQ(s.max_batch_events, 50u);
    EXPECT_EQ(s.relay_linger, std::chrono::milliseconds{20});
    EXPECT_EQ(s.rate_limit.burst, 100);  // a second's worth by default
    EXPECT_EQ(s.back_pressure.max_backlog_events, 10);
    EXPECT_EQ(s.rules_for("order.shipped"), nullptr);

    de::config c;
    c.topic_prefix = "shop";
    gw::apply_to_config(s, c);
    EXPECT_EQ(c.topic_overrides.at("order.placed").partitions, 6);
    EXPECT_TRUE(c.validation.sensitive_fields.empty());  // the gateway applies each type's own
}

TEST(gateway_settings_test, errors_name_the_file_and_the_path_of_the_field) {
    EXPECT_THAT(error_of(R"({"event_types": {"order.placed": {"topic": {"partitions": 0}}}})"),
                HasSubstr("gateway.json: event_types.order.placed.topic.partitions: must be 1..10000"));
    EXPECT_THAT(error_of(R"({"event_types": {"order.placed": {"sensitive_policy": "hide"}}})"),
                HasSubstr("event_types.order.placed.sensitive_policy: must be refuse or redact"));
    EXPECT_THAT(error_of(R"({"event_types": {"Order": {}}})"), HasSubstr("event_types.Order: event_type"));
    EXPECT_THAT(error_of(R"({"event_types": {"order.placed": {}}, "max_batch_events": "10"})"),
                HasSubstr("max_batch_events: expected a number"));
    EXPECT_THAT(error_of(R"({"event_types": {"order.placed": {}}, "rate_limit": {"rps": 1}})"),
                HasSubstr("rate_limit.rps: is not a known setting"));
    EXPECT_THAT(error_of(R"({"event_types": {"order.placed": {}}, "relay_linger_ms": 1001})"),
                HasSubstr("relay_linger_ms: must be 0..1000"));
    EXPECT_THAT(error_of(R"({})"), HasSubstr("nothing would be accepted"));
    EXPECT_THAT(error_of("[1, 2"), HasSubstr("gateway.json: file"));
}

TEST(gateway_settings_test, a_file_nested_too_deep_or_too_large_is_refused_before_it_is_parsed) {
    EXPECT_THAT(error_of(std::string(100, '[') + std::string(100, ']')), HasSubstr("deeper"));
    EXPECT_THAT(error_of(std::string(gw::max_settings_file_bytes + 1, ' ')), HasSubstr("gateway.json: file"));
    EXPECT_THROW((void)gw::load_gateway_settings("/nonexistent/gateway.json", {}), de::config_error);
}

TEST(gateway_settings_test, topic_settings_per_type_need_per_event_type_routing) {
    const auto s = gw::parse_gateway_settings(R"({"event_types": {"order.placed": {"topic": {"partitions": 2}}}})", {}, "g.json");
    de::config c;
    c.topic_prefix = "shop";
    c.routing = de::topic_routing::per_aggregate;
    EXPECT_THROW(gw::apply_to_config(s, c), de::config_error);
}

}  // namespace
