#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/publish/topic_routing.hpp>

namespace de = domain_events;

namespace {

// what() of the validation_error validate_topic_name raises for `topic`, or "accepted".
std::string refusal(const std::string& topic) {
    try {
        de::validate_topic_name(topic, "event_type");
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "event_type");
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST(topic_routing, per_event_type_puts_the_event_type_behind_the_prefix) {
    EXPECT_EQ(de::topic_for("healthcore", de::topic_routing::per_event_type, "patient.created", "patient"),
              "healthcore.patient.created");
    EXPECT_EQ(de::topic_for("healthcore", de::topic_routing::per_event_type, "appointment.booked", "appointment"),
              "healthcore.appointment.booked");
}

TEST(topic_routing, per_aggregate_puts_the_aggregate_type_behind_the_prefix) {
    EXPECT_EQ(de::topic_for("healthcore", de::topic_routing::per_aggregate, "patient.created", "patient"),
              "healthcore.patient");
    EXPECT_EQ(de::topic_for("healthcore", de::topic_routing::per_aggregate, "patient.updated", "patient"),
              de::topic_for("healthcore", de::topic_routing::per_aggregate, "patient.deleted", "patient"))
        << "every event of one aggregate type shares a topic";
}

TEST(topic_routing, an_empty_prefix_means_none) {
    EXPECT_EQ(de::topic_for("", de::topic_routing::per_event_type, "patient.created", "patient"), "patient.created");
    EXPECT_EQ(de::topic_for("", de::topic_routing::per_aggregate, "patient.created", "patient"), "patient");
    EXPECT_EQ(de::topic_for_event_type("", "patient.created"), "patient.created");
    EXPECT_EQ(de::dead_letter_topic(""), "dlq");
    EXPECT_EQ(de::prefixed_topic("", "x"), "x");
}

TEST(topic_routing, consumers_and_dead_letters_use_the_same_prefix) {
    EXPECT_EQ(de::topic_for_event_type("healthcore", "patient.created"),
              de::topic_for("healthcore", de::topic_routing::per_event_type, "patient.created", "patient"));
    EXPECT_EQ(de::topic_for_event_type("acme.prod", "appointment.booked"), "acme.prod.appointment.booked");
    EXPECT_EQ(de::dead_letter_topic("healthcore"), "healthcore.dlq");
}

TEST(topic_routing, routing_names_parse_both_ways) {
    for (auto routing : {de::topic_routing::per_event_type, de::topic_routing::per_aggregate}) {
        EXPECT_EQ(de::parse_topic_routing(de::to_string(routing)), routing);
    }
    EXPECT_EQ(de::to_string(de::topic_routing::per_event_type), "per_event_type");
    EXPECT_EQ(de::to_string(de::topic_routing::per_aggregate), "per_aggregate");
    EXPECT_EQ(de::to_string(static_cast<de::topic_routing>(7)), "invalid");
    for (const char* bad : {"per_type", "", "PER_AGGREGATE", " per_aggregate", "invalid"}) {
        EXPECT_FALSE(de::parse_topic_routing(bad).has_value()) << bad;
    }
}

TEST(topic_routing, legal_kafka_topic_names_pass) {
    for (const std::string& topic : {std::string(249, 'a'), std::string("healthcore.patient.created"),
                                    std::string("Health-Core_2.x"), std::string("a"), std::string("...")}) {
        EXPECT_EQ(refusal(topic), "accepted") << topic;
    }
}

TEST(topic_routing, illegal_kafka_topic_names_are_refused_naming_the_topic_its_length_and_the_reason) {
    EXPECT_EQ(refusal(std::string(250, 'a')), "event_type: topic '" + std::string(250, 'a') +
                                                  "' (250 characters) is longer than the 249 characters Kafka allows");
    EXPECT_EQ(refusal("healthcore.patient created"),
              "event_type: topic 'healthcore.patient created' (26 characters) has the character ' ' at position 18; "
              "Kafka allows only [a-zA-Z0-9._-]");
    EXPECT_NE(refusal("a/b").find("character '/'"), std::string::npos);
    EXPECT_NE(refusal("p\xc3\xa9").find("(3 characters)"), std::string::npos);
    EXPECT_EQ(refusal(".."), "event_type: topic '..' (2 characters) is reserved: Kafka refuses '.' and '..' as "
                             "topic names");
    EXPECT_NE(refusal(".").find("is reserved"), std::string::npos);
    EXPECT_EQ(refusal(""), "event_type: topic '' (0 characters) is empty");
}

TEST(topic_routing, the_shared_check_explains_without_naming_the_topic) {
    EXPECT_EQ(de::detail::topic_name_problem("healthcore"), "");
    EXPECT_EQ(de::detail::topic_name_problem(""), "is empty");
    EXPECT_EQ(de::detail::topic_name_problem("a b").find("a b"), std::string::npos);
}
