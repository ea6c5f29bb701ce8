#include <gtest/gtest.h>

#include <domain_events/config.hpp>
#include <domain_events/error.hpp>

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

std::string config_failure(const de::environment& env) {
    try {
        (void)de::config_from_environment(env);
    } catch (const de::config_error& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST(config, defaults_match_the_documentation) {
    const auto c = de::config_from_environment({});
    EXPECT_EQ(c.topic_prefix, "healthcore");
    EXPECT_TRUE(c.kafka_enabled);
    EXPECT_EQ(c.routing, de::topic_routing::per_event_type);
    EXPECT_TRUE(c.bootstrap_servers.empty());
    EXPECT_EQ(c.database_path, "domain_events.db");
    EXPECT_EQ(c.validation.max_payload_bytes, 1024u * 1024u);
    EXPECT_EQ(c.validation.sensitive_fields, (std::vector<std::string>{"password", "token", "secret", "ssn"}));
    EXPECT_LE(c.relay_poll_interval, 10ms);
    EXPECT_EQ(c.published_retention, 24h);
}

TEST(config, every_variable_is_read) {
    const auto c = de::config_from_environment({
        {"KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"},
        {"KAFKA_ENABLED", "False"},
        {"KAFKA_TOPIC_PREFIX", ""},
        {"KAFKA_TOPIC_ROUTING", "per_aggregate"},
        {"DOMAIN_EVENTS_DB", "/var/lib/app/outbox.db"},
        {"DOMAIN_EVENTS_SOURCE", "healthcore-api"},
        {"DOMAIN_EVENTS_MAX_PAYLOAD_BYTES", "65536"},
        {"DOMAIN_EVENTS_SENSITIVE_FIELDS", "password, national_id"},
        {"DOMAIN_EVENTS_SENSITIVE_POLICY", "redact"},
        {"DOMAIN_EVENTS_RELAY_BATCH_SIZE", "500"},
        {"DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS", "3"},
        {"DOMAIN_EVENTS_RELAY_POLL_INTERVAL_MS", "5"},
        {"DOMAIN_EVENTS_LEASE_PERIOD_MS", "2000"},
        {"DOMAIN_EVENTS_RETENTION_SECONDS", "0"},
        {"KAFKA_PROPERTY_SASL_MECHANISMS", "PLAIN"},
        {"KAFKA_PROPERTY_SECURITY_PROTOCOL", "SASL_SSL"},
    });
    EXPECT_EQ(c.bootstrap_servers, "127.0.0.1:19092");
    EXPECT_FALSE(c.kafka_enabled);
    EXPECT_EQ(c.topic_prefix, "");
    EXPECT_EQ(c.routing, de::topic_routing::per_aggregate);
    EXPECT_EQ(c.database_path, "/var/lib/app/outbox.db");
    EXPECT_EQ(c.source, "healthcore-api");
    EXPECT_EQ(c.validation.max_payload_bytes, 65536u);
    EXPECT_EQ(c.validation.sensitive_fields, (std::vector<std::string>{"password", "national_id"}));
    EXPECT_EQ(c.validation.on_sensitive, de::sensitive_field_policy::redact);
    EXPECT_EQ(c.relay_batch_size, 500u);
    EXPECT_EQ(c.relay_max_attempts, 3);
    EXPECT_EQ(c.relay_poll_interval, 5ms);
    EXPECT_EQ(c.lease_period, 2000ms);
    EXPECT_EQ(c.published_retention, 0s);
    EXPECT_EQ(c.kafka_properties, (std::map<std::string, std::string>{{"sasl.mechanisms", "PLAIN"},
                                                                      {"security.protocol", "SASL_SSL"}}));
}

TEST(config, every_bad_value_is_named_in_one_error) {
    const auto message = config_failure({{"KAFKA_ENABLED", "maybe"},
                                         {"DOMAIN_EVENTS_RELAY_BATCH_SIZE", "lots"},
                                         {"KAFKA_TOPIC_ROUTING", "round_robin"},
                                         {"DOMAIN_EVENTS_SENSITIVE_POLICY", "ignore"}});
    EXPECT_NE(message.find("KAFKA_ENABLED='maybe'"), std::string::npos) << message;
    EXPECT_NE(message.find("DOMAIN_EVENTS_RELAY_BATCH_SIZE='lots': not an integer"), std::string::npos) << message;
    EXPECT_NE(message.find("KAFKA_TOPIC_ROUTING='round_robin'"), std::string::npos) << message;
    EXPECT_NE(message.find("DOMAIN_EVENTS_SENSITIVE_POLICY='ignore'"), std::string::npos) << message;
}

TEST(config, values_that_parse_but_break_a_rule_are_named_too) {
    const auto message = config_failure({{"DOMAIN_EVENTS_RELAY_BATCH_SIZE", "0"},
                                         {"KAFKA_TOPIC_PREFIX", "health core"},
                                         {"DOMAIN_EVENTS_LEASE_PERIOD_MS", "10"}});
    EXPECT_NE(message.find("relay_batch_size: 0 must be within 1..100000"), std::string::npos) << message;
    EXPECT_NE(message.find("topic 'health core'"), std::string::npos) << message;
    EXPECT_NE(message.find("lease_period: 10 ms"), std::string::npos) << message;
}

TEST(config, a_config_built_in_code_is_validated_the_same_way) {
    de::config c;
    EXPECT_NO_THROW(de::validate(c));
    c.relay_max_attempts = 0;
    c.kafka_properties[""] = "x";
    try {
        de::validate(c);
        FAIL() << "expected config_error";
    } catch (const de::config_error& e) {
        EXPECT_NE(std::string(e.what()).find("relay_max_attempts: 0"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("kafka_properties"), std::string::npos) << e.what();
    }
}

TEST(config, process_environment_reads_this_process) {
    const auto env = de::process_environment();
    EXPECT_TRUE(env.contains("PATH"));
}
