// Topic specs: what is refused before any request, and which spec an event's topic gets.
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/kafka/topic_admin.hpp>

#include "prefixed_config.hpp"

#include <chrono>
#include <sstream>
#include <vector>

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

// "field | what()" of the validation_error `validate` raises for `spec`, or "accepted".
std::string refusal(const de::topic_spec& spec) {
    try {
        de::validate(spec);
    } catch (const de::validation_error& e) {
        return e.field() + " | " + e.what();
    }
    return "accepted";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

de::topic_spec spec(std::string name, de::topic_settings settings = {}) { return {std::move(name), settings}; }

// A client for an address where nothing listens: any request would fail, after `timeout`.
de::config unreachable() {
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = "127.0.0.1:1";
    return c;
}

}  // namespace

TEST(topic_spec, defaults_are_three_partitions_and_the_brokers_replication_and_retention) {
    const de::topic_spec s{"healthcore.patient.created", {}};
    EXPECT_EQ(s.settings.partitions, 3);
    EXPECT_EQ(s.settings.replication_factor, -1);
    EXPECT_EQ(s.settings.retention_ms, 0);
    EXPECT_EQ(refusal(s), "accepted");
}

TEST(topic_spec, the_limits_themselves_are_accepted) {
    EXPECT_EQ(refusal(spec("t", {.partitions = 1, .replication_factor = 1, .retention_ms = -1})), "accepted");
    EXPECT_EQ(refusal(spec(std::string(249, 't'), {.partitions = 1, .replication_factor = -1, .retention_ms = 1})),
              "accepted");
}

TEST(topic_spec, each_bad_field_is_named_with_its_value_and_topic) {
    EXPECT_TRUE(has(refusal(spec("health core")), "topic_spec.name | topic_spec.name: topic 'health core'"))
        << refusal(spec("health core"));
    EXPECT_TRUE(has(refusal(spec("")), "topic_spec.name | topic_spec.name: topic '' (0 characters) is empty"));
    EXPECT_TRUE(has(refusal(spec("..")), "is reserved"));
    EXPECT_TRUE(has(refusal(spec(std::string(250, 't'))), "longer than the 249 characters"));

    EXPECT_EQ(refusal(spec("t", {.partitions = 0})),
              "topic_spec.settings.partitions | topic_spec.settings.partitions: 0 (topic 't') must be >= 1");
    EXPECT_TRUE(has(refusal(spec("t", {.partitions = -3})), "partitions: -3 (topic 't') must be >= 1"));
    EXPECT_EQ(refusal(spec("t", {.replication_factor = 0})),
              "topic_spec.settings.replication_factor | topic_spec.settings.replication_factor: 0 (topic 't') "
              "must be -1 (the broker's default) or >= 1");
    EXPECT_TRUE(has(refusal(spec("t", {.replication_factor = -2})), "replication_factor: -2 (topic 't')"));
    EXPECT_EQ(refusal(spec("t", {.retention_ms = -2})),
              "topic_spec.settings.retention_ms | topic_spec.settings.retention_ms: -2 (topic 't') must be >= -1 "
              "(-1: forever, 0: the broker's default)");
}

TEST(topic_admin, refuses_a_bad_spec_before_any_request) {
    // A request to this address would take the whole minute to fail.
    de::topic_admin admin(unreachable(), 60s);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW((void)admin.ensure(spec("bad topic name")), de::validation_error);
    EXPECT_THROW((void)admin.ensure(spec("t", {.partitions = 0})), de::validation_error);
    // librdkafka's own range checks count as the spec's fault too.
    try {
        (void)admin.ensure(spec("t", {.partitions = 200'000}));
        ADD_FAILURE() << "200000 partitions accepted";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "topic_spec.settings");
        EXPECT_TRUE(has(e.what(), "topic 't'")) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(topic_admin, a_batch_names_the_bad_spec_by_index_and_refuses_a_name_given_twice) {
    de::topic_admin admin(unreachable(), 60s);
    const std::vector<de::topic_spec> bad_partitions{spec("a"), spec("b", {.partitions = 0})};
    try {
        (void)admin.ensure(bad_partitions);
        ADD_FAILURE() << "accepted";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "topic_specs[1].settings.partitions");
        EXPECT_TRUE(has(e.what(), "0 (topic 'b')")) << e.what();
    }
    const std::vector<de::topic_spec> twice{spec("a"), spec("b"), spec("a", {.partitions = 6})};
    try {
        (void)admin.ensure(twice);
        ADD_FAILURE() << "accepted";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "topic_specs[2].name");
        EXPECT_TRUE(has(e.what(), "topic 'a' is given twice")) << e.what();
    }
    EXPECT_TRUE(admin.ensure(std::vector<de::topic_spec>{}).empty()) << "nothing to ensure asks nothing";
}

TEST(topic_admin, construction_refuses_a_config_it_cannot_use) {
    EXPECT_THROW(de::topic_admin{de::testing::prefixed_config()}, de::config_error) << "no bootstrap servers";
    auto c = unreachable();
    EXPECT_THROW((de::topic_admin{c, 0ms}), de::usage_error);
    EXPECT_THROW((de::topic_admin{c, 2h}), de::usage_error);
    c.kafka_properties["no.such.property"] = "1";
    try {
        de::topic_admin admin(c);
        ADD_FAILURE() << "accepted";
    } catch (const de::config_error& e) {
        EXPECT_TRUE(has(e.what(), "no.such.property='1'")) << e.what();
    }
}

TEST(topic_spec_for, per_event_type_uses_the_event_type_for_topic_and_override) {
    auto c = de::testing::prefixed_config();
    c.topics = {.partitions = 4, .replication_factor = 3, .retention_ms = 86'400'000};
    c.topic_overrides["patient.updated"] = {.partitions = 12, .replication_factor = 3, .retention_ms = -1};
    c.topic_overrides["patient"] = {.partitions = 99};  // an aggregate key: not used under this routing

    const auto created = de::topic_spec_for(c, "patient.created", "patient");
    EXPECT_EQ(created.name, "healthcore.patient.created");
    EXPECT_EQ(created.settings.partitions, 4);
    EXPECT_EQ(created.settings.replication_factor, 3);
    EXPECT_EQ(created.settings.retention_ms, 86'400'000);

    const auto updated = de::topic_spec_for(c, "patient.updated", "patient");
    EXPECT_EQ(updated.name, "healthcore.patient.updated");
    EXPECT_EQ(updated.settings.partitions, 12);
    EXPECT_EQ(updated.settings.retention_ms, -1);
}

TEST(topic_spec_for, per_aggregate_uses_the_aggregate_type_for_topic_and_override) {
    auto c = de::testing::prefixed_config();
    c.routing = de::topic_routing::per_aggregate;
    c.topic_prefix = "acme";
    c.topic_overrides["appointment"] = {.partitions = 8};
    c.topic_overrides["patient.created"] = {.partitions = 99};  // an event type key: not used here

    const auto appointment = de::topic_spec_for(c, "appointment.booked", "appointment");
    EXPECT_EQ(appointment.name, "acme.appointment");
    EXPECT_EQ(appointment.settings.partitions, 8);

    const auto patient = de::topic_spec_for(c, "patient.created", "patient");
    EXPECT_EQ(patient.name, "acme.patient");
    EXPECT_EQ(patient.settings.partitions, 3) << "no override for the aggregate: the defaults";
}

TEST(topic_spec_for, an_empty_prefix_means_none) {
    auto c = de::testing::prefixed_config();
    c.topic_prefix = "";
    EXPECT_EQ(de::topic_spec_for(c, "patient.created", "patient").name, "patient.created");
}

TEST(topic_outcome, names_and_reports_read_well) {
    EXPECT_EQ(de::to_string(de::topic_outcome::created), "created");
    EXPECT_EQ(de::to_string(de::topic_outcome::matches), "matches");
    EXPECT_EQ(de::to_string(de::topic_outcome::differs), "differs");
    EXPECT_EQ(de::to_string(de::topic_outcome::unsupported), "unsupported");
    EXPECT_EQ(de::to_string(static_cast<de::topic_outcome>(42)), "invalid");

    const de::topic_report report{"healthcore.patient.created", de::topic_outcome::differs,
                                  "partitions: want 6, have 3"};
    EXPECT_EQ(report, de::topic_outcome::differs);
    EXPECT_NE(report, de::topic_outcome::matches);
    std::ostringstream text;
    text << report;
    EXPECT_EQ(text.str(), "healthcore.patient.created: differs (partitions: want 6, have 3)");
}
