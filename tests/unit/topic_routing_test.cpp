#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/topic_routing.hpp>

namespace de = domain_events;

TEST(topic_routing, per_event_type_and_per_aggregate_name_their_topics) {
    EXPECT_EQ(de::topic_for("healthcore", de::topic_routing::per_event_type, "patient.created", "patient"),
              "healthcore.patient.created");
    EXPECT_EQ(de::topic_for("healthcore", de::topic_routing::per_aggregate, "patient.created", "patient"),
              "healthcore.patient");
    EXPECT_EQ(de::topic_for("", de::topic_routing::per_event_type, "patient.created", "patient"), "patient.created");
    EXPECT_EQ(de::dead_letter_topic("healthcore"), "healthcore.dlq");
    EXPECT_EQ(de::dead_letter_topic(""), "dlq");
}

TEST(topic_routing, routing_names_parse_both_ways) {
    for (auto routing : {de::topic_routing::per_event_type, de::topic_routing::per_aggregate}) {
        EXPECT_EQ(de::parse_topic_routing(de::to_string(routing)), routing);
    }
    EXPECT_FALSE(de::parse_topic_routing("per_type").has_value());
}

TEST(topic_routing, illegal_kafka_topic_names_are_refused_with_the_reason) {
    EXPECT_NO_THROW(de::validate_topic_name(std::string(249, 'a'), "t"));
    const auto reason = [](const std::string& topic) {
        try {
            de::validate_topic_name(topic, "event_type");
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "event_type");
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(reason(std::string(250, 'a')).find("250 characters long; Kafka allows at most 249"), std::string::npos);
    EXPECT_NE(reason("a b").find("character ' '"), std::string::npos);
    EXPECT_NE(reason("..").find("not a legal"), std::string::npos);
    EXPECT_NE(reason("").find("empty"), std::string::npos);
}
