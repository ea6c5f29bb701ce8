#include <gtest/gtest.h>

#include <domain_events/config.hpp>
#include <domain_events/error.hpp>
#include <domain_events/relay/relay.hpp>

#include "prefixed_config.hpp"

#include <algorithm>
#include <cstdlib>

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

// what() of the config_error reading `env` raises, or "accepted".
std::string env_failure(const de::environment& env) {
    try {
        (void)de::config_from_environment(env);
    } catch (const de::config_error& e) {
        return e.what();
    }
    return "accepted";
}

std::string code_failure(const de::config& c) {
    try {
        de::validate(c);
    } catch (const de::config_error& e) {
        return e.what();
    }
    return "accepted";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(config, defaults_match_the_documentation) {
    const auto c = de::config_from_environment({});
    EXPECT_TRUE(c.bootstrap_servers.empty());
    EXPECT_TRUE(c.kafka_enabled);
    EXPECT_FALSE(c.topic_prefix) << "no default prefix: the application names its topics";
    EXPECT_EQ(c.routing, de::topic_routing::per_event_type);
    EXPECT_EQ(c.database_path, "domain_events.db");
    EXPECT_TRUE(c.kafka_properties.empty());
    EXPECT_EQ(c.source, "domain-events");
    EXPECT_EQ(c.validation.max_payload_bytes, 1024u * 1024u);
    EXPECT_EQ(c.validation.sensitive_fields, (std::vector<std::string>{"password", "token", "secret", "ssn"}));
    EXPECT_EQ(c.validation.on_sensitive, de::sensitive_field_policy::refuse);
    EXPECT_EQ(c.relay_batch_size, 1000u);
    EXPECT_EQ(c.relay_max_attempts, 10);
    EXPECT_EQ(c.relay_poll_interval, 10ms);
    EXPECT_EQ(c.lease_period, 10s);
    EXPECT_EQ(c.published_retention, 24h);
    EXPECT_EQ(c.topics.partitions, 3);
    EXPECT_EQ(c.topics.replication_factor, -1);
    EXPECT_EQ(c.topics.retention_ms, 0);
    EXPECT_TRUE(c.topic_overrides.empty());
    EXPECT_EQ(code_failure(de::testing::prefixed_config()), "accepted");
}

TEST(config, every_variable_is_read) {
    const auto c = de::config_from_environment({
        {"KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092,127.0.0.1:19093"},
        {"KAFKA_ENABLED", "False"},
        {"KAFKA_TOPIC_PREFIX", "acme.prod"},
        {"KAFKA_TOPIC_ROUTING", "per_aggregate"},
        {"DOMAIN_EVENTS_DB", "/var/lib/app/outbox.db"},
        {"DOMAIN_EVENTS_SOURCE", "healthcore-api"},
        {"DOMAIN_EVENTS_MAX_PAYLOAD_BYTES", "65536"},
        {"DOMAIN_EVENTS_SENSITIVE_FIELDS", " password, national_id ,,"},
        {"DOMAIN_EVENTS_SENSITIVE_POLICY", "redact"},
        {"DOMAIN_EVENTS_RELAY_BATCH_SIZE", "500"},
        {"DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS", "3"},
        {"DOMAIN_EVENTS_RELAY_POLL_INTERVAL_MS", "5"},
        {"DOMAIN_EVENTS_LEASE_PERIOD_MS", "2000"},
        {"DOMAIN_EVENTS_RETENTION_SECONDS", "0"},
        {"KAFKA_TOPIC_PARTITIONS", "12"},
        {"KAFKA_TOPIC_REPLICATION_FACTOR", "3"},
        {"KAFKA_TOPIC_RETENTION_MS", "604800000"},
        {"UNRELATED", "ignored"},
    });
    EXPECT_EQ(c.bootstrap_servers, "127.0.0.1:19092,127.0.0.1:19093");
    EXPECT_FALSE(c.kafka_enabled);
    EXPECT_EQ(c.topic_prefix, "acme.prod");
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
    EXPECT_EQ(c.topics.partitions, 12);
    EXPECT_EQ(c.topics.replication_factor, 3);
    EXPECT_EQ(c.topics.retention_ms, 604'800'000);
}

TEST(config, topic_variables_take_the_broker_defaults_and_forever) {
    const auto c = de::config_from_environment({{"KAFKA_TOPIC_PARTITIONS", "1"},
                                                {"KAFKA_TOPIC_REPLICATION_FACTOR", "-1"},
                                                {"KAFKA_TOPIC_RETENTION_MS", "-1"}});
    EXPECT_EQ(c.topics.partitions, 1);
    EXPECT_EQ(c.topics.replication_factor, -1);
    EXPECT_EQ(c.topics.retention_ms, -1) << "-1: kept forever";
    EXPECT_EQ(de::config_from_environment({{"KAFKA_TOPIC_RETENTION_MS", "0"}}).topics.retention_ms, 0)
        << "0: the broker's default";
}

TEST(config, bad_topic_variables_are_named) {
    const auto message = env_failure({{"KAFKA_TOPIC_PARTITIONS", "0"},
                                      {"KAFKA_TOPIC_REPLICATION_FACTOR", "0"},
                                      {"KAFKA_TOPIC_RETENTION_MS", "-2"}});
    EXPECT_TRUE(has(message, "KAFKA_TOPIC_PARTITIONS='0': must be >= 1")) << message;
    EXPECT_TRUE(has(message, "KAFKA_TOPIC_REPLICATION_FACTOR='0': must be -1 (broker default) or >= 1")) << message;
    EXPECT_TRUE(has(message, "KAFKA_TOPIC_RETENTION_MS='-2': must be >= -1 ms")) << message;

    const auto unparsed = env_failure({{"KAFKA_TOPIC_PARTITIONS", "six"},
                                       {"KAFKA_TOPIC_REPLICATION_FACTOR", "3000000000"},
                                       {"KAFKA_TOPIC_RETENTION_MS", "7d"}});
    EXPECT_TRUE(has(unparsed, "KAFKA_TOPIC_PARTITIONS='six': not a decimal integer")) << unparsed;
    EXPECT_TRUE(has(unparsed, "KAFKA_TOPIC_REPLICATION_FACTOR='3000000000': out of range")) << unparsed;
    EXPECT_TRUE(has(unparsed, "KAFKA_TOPIC_RETENTION_MS='7d': not a decimal integer")) << unparsed;
    EXPECT_TRUE(has(env_failure({{"KAFKA_TOPIC_REPLICATION_FACTOR", "-2"}}),
                    "KAFKA_TOPIC_REPLICATION_FACTOR='-2': must be -1 (broker default) or >= 1"));
}

TEST(config, topic_overrides_are_checked_like_the_defaults_and_keyed_as_the_routing_looks_them_up) {
    auto c = de::testing::prefixed_config();
    c.topic_overrides["patient.created"] = {.partitions = 6, .replication_factor = 3, .retention_ms = -1};
    EXPECT_EQ(code_failure(c), "accepted");

    c.topic_overrides["appointment.booked"] = {.partitions = 0, .replication_factor = -3, .retention_ms = -5};
    c.topic_overrides["patient"] = {};  // an aggregate type, under per_event_type routing
    c.topic_overrides["Patient.Created"] = {};
    auto message = code_failure(c);
    for (const std::string part : {
             "topic_overrides[appointment.booked].partitions='0': must be >= 1",
             "topic_overrides[appointment.booked].replication_factor='-3': must be -1 (broker default) or >= 1",
             "topic_overrides[appointment.booked].retention_ms='-5': must be >= -1 ms",
             "topic_overrides[patient]='patient': is not an event type (resource.action)",
             "topic_overrides[Patient.Created]='Patient.Created': is not an event type",
         }) {
        EXPECT_TRUE(has(message, part)) << "missing: " << part << "\nin:\n" << message;
    }
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 5) << message;

    c.routing = de::topic_routing::per_aggregate;
    c.topic_overrides = {{"patient", {}}, {"patient.created", {}}};
    message = code_failure(c);
    EXPECT_TRUE(has(message, "topic_overrides[patient.created]='patient.created': is not an aggregate type")) << message;
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;

    c.topic_prefix = std::string(200, 'p');
    c.topic_overrides = {{std::string(48, 'a'), {}}, {std::string(49, 'a'), {}}};
    message = code_failure(c);
    EXPECT_TRUE(has(message, "='" + std::string(49, 'a') + "': with the prefix its topic is 250 characters long; "
                             "Kafka allows at most 249")) << message;
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
}

TEST(config, an_unset_prefix_is_refused_by_validate_and_names_the_variable) {
    const auto c = de::config_from_environment({});  // what only reads the outbox needs no prefix
    const auto message = code_failure(c);
    EXPECT_TRUE(has(message, "topic_prefix is not set and has no default: set KAFKA_TOPIC_PREFIX")) << message;
    EXPECT_FALSE(has(message, "=''")) << "an unset prefix is not shown as the empty one: " << message;
    EXPECT_THROW(static_cast<void>(de::topic_prefix_of(c)), de::config_error);
    auto named = c;
    named.topic_prefix = "";
    EXPECT_NO_THROW(de::validate(named)) << "an empty prefix, given, means none";
    EXPECT_EQ(de::topic_prefix_of(named), "");
}

TEST(config, an_empty_prefix_or_sensitive_list_is_allowed) {
    const auto c = de::config_from_environment({{"KAFKA_TOPIC_PREFIX", ""}, {"DOMAIN_EVENTS_SENSITIVE_FIELDS", ""}});
    EXPECT_EQ(c.topic_prefix, "");
    EXPECT_TRUE(c.validation.sensitive_fields.empty());
}

TEST(config, booleans_and_keywords_are_case_insensitive) {
    for (const auto& [text, expected] : std::vector<std::pair<std::string, bool>>{
             {"true", true}, {"TRUE", true}, {"1", true}, {"yes", true}, {"Yes", true},
             {"false", false}, {"False", false}, {"0", false}, {"no", false}, {"NO", false}}) {
        EXPECT_EQ(de::config_from_environment({{"KAFKA_ENABLED", text}}).kafka_enabled, expected) << text;
    }
    EXPECT_EQ(de::config_from_environment({{"KAFKA_TOPIC_ROUTING", "Per_Aggregate"}}).routing,
              de::topic_routing::per_aggregate);
    EXPECT_EQ(de::config_from_environment({{"DOMAIN_EVENTS_SENSITIVE_POLICY", "REDACT"}}).validation.on_sensitive,
              de::sensitive_field_policy::redact);
}

TEST(config, kafka_properties_are_passed_through_with_librdkafka_names) {
    const auto c = de::config_from_environment({
        {"KAFKA_PROPERTY_SASL_MECHANISMS", "PLAIN"},
        {"KAFKA_PROPERTY_SECURITY_PROTOCOL", "SASL_SSL"},
        {"KAFKA_PROPERTY_SSL_CA_LOCATION", "/etc/ssl/ca.pem"},
        {"KAFKA_PROPERTY_LINGER_MS", "5"},
        {"KAFKA_PROPERTYX", "not a property"},
    });
    EXPECT_EQ(c.kafka_properties, (std::map<std::string, std::string>{{"sasl.mechanisms", "PLAIN"},
                                                                      {"security.protocol", "SASL_SSL"},
                                                                      {"ssl.ca.location", "/etc/ssl/ca.pem"},
                                                                      {"linger.ms", "5"}}));
}

TEST(config, kafka_property_variables_that_name_nothing_or_collide_are_named) {
    EXPECT_TRUE(has(env_failure({{"KAFKA_PROPERTY_", "x"}}), "KAFKA_PROPERTY_='x': the librdkafka property name"));
    const auto message = env_failure({{"KAFKA_PROPERTY_SASL_MECHANISMS", "PLAIN"},
                                      {"KAFKA_PROPERTY_sasl_mechanisms", "SCRAM"}});
    EXPECT_TRUE(has(message, "KAFKA_PROPERTY_sasl_mechanisms='SCRAM': sets sasl.mechanisms as "
                             "KAFKA_PROPERTY_SASL_MECHANISMS does"))
        << message;
}

TEST(config, a_bootstrap_list_with_a_bad_broker_is_refused_naming_the_entry) {
    for (const auto* good : {"localhost:9092", "kafka-1.example.org:9092, kafka-2:9093", "[::1]:9092", "[::1]",
                             "PLAINTEXT://broker:9092", "broker", "10.0.0.7:1,10.0.0.8:65535"}) {
        EXPECT_EQ(env_failure({{"KAFKA_BOOTSTRAP_SERVERS", good}}), "accepted") << good;
    }
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"127.0.0.1:99999", "broker '127.0.0.1:99999': the port must be a number from 1 to 65535"},
        {"h:0", "broker 'h:0': the port must be"},
        {"ok:9092,h:abc", "broker 'h:abc': the port must be"},
        {":9092", "broker ':9092': the host is empty"},
        {"h:", "broker 'h:': the port is empty"},
        {"a:9092,,b:9092", "an entry is empty"},
        {"::1:9092", "needs brackets"},
        {"[::1]:70000", "the port must be"},
        {"bad host:9092", "a character no host name has"},
    };
    for (const auto& [list, why] : bad) {
        const auto message = env_failure({{"KAFKA_BOOTSTRAP_SERVERS", list}});
        EXPECT_TRUE(has(message, "KAFKA_BOOTSTRAP_SERVERS='" + list + "'")) << message;
        EXPECT_TRUE(has(message, why)) << message;
    }
}

TEST(config, a_second_source_for_the_brokers_that_disagrees_is_refused) {
    const auto message = env_failure({{"KAFKA_BOOTSTRAP_SERVERS", "real:9092"}, {"KAFKA_PROPERTY_BOOTSTRAP_SERVERS", "other:9092"}});
    EXPECT_TRUE(has(message, "KAFKA_PROPERTY_BOOTSTRAP_SERVERS='other:9092': names the brokers differently")) << message;
    EXPECT_TRUE(has(env_failure({{"KAFKA_PROPERTY_BOOTSTRAP_SERVERS", "other:9092"}}), "names the brokers differently"));
    EXPECT_EQ(env_failure({{"KAFKA_BOOTSTRAP_SERVERS", "real:9092"}, {"KAFKA_PROPERTY_BOOTSTRAP_SERVERS", "real:9092"}}),
              "accepted");
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = "real:9092";
    c.kafka_properties["bootstrap.servers"] = "other:9092";
    EXPECT_TRUE(has(code_failure(c), "kafka_properties[bootstrap.servers]='other:9092'"));
}

TEST(config, secret_settings_are_recognised_and_their_values_never_printed) {
    for (const auto* name : {"sasl.password", "sasl.jaas.config", "KAFKA_PROPERTY_SASL_JAAS_CONFIG", "ssl.key.password",
                             "ssl.key.location", "sasl.oauthbearer.client.secret", "DOMAIN_EVENTS_ADMIN_TOKEN",
                             "aws_credentials_file"}) {
        EXPECT_TRUE(de::is_secret_setting(name)) << name;
        EXPECT_EQ(de::printable_setting(name, "hunter2"), "[redacted]") << name;
    }
    for (const auto* name : {"sasl.mechanisms", "bootstrap.servers", "linger.ms", "security.protocol"}) {
        EXPECT_FALSE(de::is_secret_setting(name)) << name;
        EXPECT_EQ(de::printable_setting(name, "PLAIN"), "PLAIN") << name;
    }
    auto c = de::testing::prefixed_config();
    c.kafka_properties["sasl password"] = "hunter2";  // a bad name, refused with its value hidden
    const auto message = code_failure(c);
    EXPECT_TRUE(has(message, "kafka_properties[sasl password]='[redacted]'")) << message;
    EXPECT_FALSE(has(message, "hunter2")) << message;
}

TEST(config, librdkafka_refusing_a_secret_property_never_shows_its_value) {
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = "127.0.0.1:9092";
    c.kafka_properties["sasl.jaas.config"] = "org.apache.kafka.common.security.plain.PlainLoginModule password=\"hunter2\";";
    c.kafka_properties["ssl.key.password"] = "";  // an empty secret is no secret to hide
    try {
        de::relay relay(c);
        FAIL() << "librdkafka accepted sasl.jaas.config (a Java client's property)";
    } catch (const de::config_error& e) {
        EXPECT_TRUE(has(e.what(), "sasl.jaas.config='[redacted]'")) << e.what();
        EXPECT_FALSE(has(e.what(), "hunter2")) << e.what();
    }
}

TEST(config, every_bad_value_is_named_in_one_error) {
    const auto message = env_failure({{"KAFKA_ENABLED", "maybe"},
                                      {"DOMAIN_EVENTS_RELAY_BATCH_SIZE", "0"},
                                      {"DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS", "lots"},
                                      {"KAFKA_TOPIC_ROUTING", "round_robin"},
                                      {"DOMAIN_EVENTS_SENSITIVE_POLICY", "ignore"},
                                      {"DOMAIN_EVENTS_LEASE_PERIOD_MS", "10"},
                                      {"KAFKA_TOPIC_PREFIX", "health core"}});
    EXPECT_TRUE(has(message, "KAFKA_ENABLED='maybe': expected true/false, 1/0 or yes/no")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_RELAY_BATCH_SIZE='0': must be within 1..100000")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS='lots': not a decimal integer")) << message;
    EXPECT_TRUE(has(message, "KAFKA_TOPIC_ROUTING='round_robin': expected per_event_type or per_aggregate"))
        << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_SENSITIVE_POLICY='ignore': expected refuse or redact")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_LEASE_PERIOD_MS='10': must be within 500..86400000 ms")) << message;
    EXPECT_TRUE(has(message, "KAFKA_TOPIC_PREFIX='health core': not a legal topic prefix: it has the character ' '"))
        << message;
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 7) << "one line per bad value:\n" << message;
}

TEST(config, numbers_must_be_plain_in_range_integers) {
    const auto message = env_failure({{"DOMAIN_EVENTS_MAX_PAYLOAD_BYTES", "-1"},
                                      {"DOMAIN_EVENTS_RELAY_BATCH_SIZE", "99999999999999999999"},
                                      {"DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS", "3000000000"},
                                      {"DOMAIN_EVENTS_RELAY_POLL_INTERVAL_MS", "5ms"},
                                      {"DOMAIN_EVENTS_LEASE_PERIOD_MS", " 600"},
                                      {"DOMAIN_EVENTS_RETENTION_SECONDS", "-5"}});
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_MAX_PAYLOAD_BYTES='-1': must not be negative")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_RELAY_BATCH_SIZE='99999999999999999999': out of range")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS='3000000000': out of range")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_RELAY_POLL_INTERVAL_MS='5ms': not a decimal integer")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_LEASE_PERIOD_MS=' 600': not a decimal integer")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_RETENTION_SECONDS='-5': must be within 0..3153600000 s")) << message;
    EXPECT_TRUE(has(env_failure({{"DOMAIN_EVENTS_MAX_PAYLOAD_BYTES", "100"}}),
                    "DOMAIN_EVENTS_MAX_PAYLOAD_BYTES='100': must be >= 1024 bytes"));
}

// The relay adds both to the time now: past these bounds the sum wrapped (a lease expired while
// held, so two relays published at once; a retention cutoff in the future deleted every row).
TEST(config, a_lease_period_or_retention_that_would_overflow_the_clock_is_refused) {
    const auto message = env_failure({{"DOMAIN_EVENTS_LEASE_PERIOD_MS", "9223372036854775807"},
                                      {"DOMAIN_EVENTS_RETENTION_SECONDS", "15000000000000000"}});
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_LEASE_PERIOD_MS='9223372036854775807': must be within 500..86400000 ms"))
        << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_RETENTION_SECONDS='15000000000000000': must be within 0..3153600000 s"))
        << message;
}

TEST(config, empty_names_and_paths_are_refused) {
    const auto message = env_failure({{"DOMAIN_EVENTS_DB", ""},
                                      {"DOMAIN_EVENTS_SOURCE", ""},
                                      {"DOMAIN_EVENTS_SENSITIVE_FIELDS", "password, --"}});
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_DB='': must not be empty")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_SOURCE='': must not be empty")) << message;
    EXPECT_TRUE(has(message, "DOMAIN_EVENTS_SENSITIVE_FIELDS='password, --': names no field")) << message;
}

TEST(config, a_config_built_in_code_is_validated_with_every_bad_field_named) {
    auto c = de::testing::prefixed_config();
    c.topic_prefix = std::string(201, 'p');
    c.routing = static_cast<de::topic_routing>(9);
    c.database_path.clear();
    c.validation.max_payload_bytes = 10;
    c.validation.on_sensitive = static_cast<de::sensitive_field_policy>(4);
    c.relay_batch_size = 100001;
    c.relay_max_attempts = 0;
    c.relay_poll_interval = 10001ms;
    c.lease_period = 499ms;
    c.published_retention = -1s;
    c.kafka_properties["sasl mechanisms"] = "PLAIN";
    const auto message = code_failure(c);
    EXPECT_EQ(message.rfind("invalid configuration:\n", 0), 0u) << message;
    for (const std::string& part : {
             "topic_prefix='" + *c.topic_prefix + "': is 201 characters long; at most 200",
             std::string("routing='9': must be per_event_type or per_aggregate"),
             std::string("database_path='': must not be empty"),
             std::string("validation.max_payload_bytes='10': must be >= 1024 bytes"),
             std::string("validation.on_sensitive='4': must be refuse or redact"),
             std::string("relay_batch_size='100001': must be within 1..100000"),
             std::string("relay_max_attempts='0': must be >= 1"),
             std::string("relay_poll_interval='10001': must be within 1..10000 ms"),
             std::string("lease_period='499': must be within 500..86400000 ms"),
             std::string("published_retention='-1': must be within 0..3153600000 s"),
             std::string("kafka_properties[sasl mechanisms]='PLAIN': the librdkafka property name"),
         }) {
        EXPECT_TRUE(has(message, part)) << "missing: " << part << "\nin:\n" << message;
    }
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 11) << message;
}

TEST(config, the_limits_themselves_are_accepted) {
    auto c = de::testing::prefixed_config();
    c.topic_prefix = std::string(200, 'p');
    c.validation.max_payload_bytes = 1024;
    c.relay_batch_size = 100000;
    c.relay_max_attempts = 1;
    c.relay_poll_interval = 1ms;
    c.lease_period = 500ms;
    c.published_retention = 0s;
    EXPECT_EQ(code_failure(c), "accepted");
    c.relay_batch_size = 1;
    c.relay_poll_interval = 10000ms;
    EXPECT_EQ(code_failure(c), "accepted");
}

TEST(config, process_environment_reads_this_process) {
    const auto env = de::process_environment();
    ASSERT_TRUE(env.contains("PATH"));
    EXPECT_EQ(env.at("PATH"), std::getenv("PATH"));
}
