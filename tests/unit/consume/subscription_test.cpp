#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/consume/subscription.hpp>

namespace de = domain_events;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(subscription, exact_types_under_per_event_type_subscribe_to_their_prefixed_topics) {
    const de::subscription s({"patient.created", "appointment.booked", "patient.created"}, "healthcore",
                             de::topic_routing::per_event_type);
    EXPECT_THAT(s.topics(), ElementsAre("healthcore.appointment.booked", "healthcore.patient.created"));
    EXPECT_TRUE(s.matches("patient.created"));
    EXPECT_FALSE(s.matches("patient.updated"));
}

TEST(subscription, a_pattern_under_per_event_type_becomes_an_anchored_regex) {
    const de::subscription s({"patient.*"}, "health.core", de::topic_routing::per_event_type);
    EXPECT_THAT(s.topics(), ElementsAre("^health\\.core\\.patient\\.[a-z0-9_.]*$"));
    EXPECT_TRUE(s.matches("patient.created"));
    EXPECT_TRUE(s.matches("patient.record.signed"));
    EXPECT_FALSE(s.matches("appointment.booked"));
    EXPECT_FALSE(s.matches("patients.created"));
}

TEST(subscription, an_empty_prefix_means_none) {
    const de::subscription s({"patient.created", "*.deleted"}, "", de::topic_routing::per_event_type);
    EXPECT_THAT(s.topics(), ElementsAre("^[a-z0-9_.]*\\.deleted$", "patient.created"));
    EXPECT_TRUE(s.matches("appointment.deleted"));
}

TEST(subscription, per_aggregate_subscribes_to_the_resource_topic_and_filters_by_type) {
    const de::subscription s({"patient.created", "patient.updated", "appointment.*"}, "hc",
                             de::topic_routing::per_aggregate);
    EXPECT_THAT(s.topics(), ElementsAre("hc.appointment", "hc.patient"));
    EXPECT_TRUE(s.matches("patient.updated"));
    EXPECT_FALSE(s.matches("patient.deleted"));
    EXPECT_TRUE(s.matches("appointment.cancelled"));
}

TEST(subscription, refuses_every_bad_entry_naming_each) {
    try {
        const de::subscription s({"Patient.Created", "patient", "ok.fine", "*.created"}, "hc",
                                 de::topic_routing::per_aggregate);
        FAIL() << "accepted bad entries";
    } catch (const de::config_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("'Patient.Created'"));
        EXPECT_THAT(e.what(), HasSubstr("'patient'"));
        EXPECT_THAT(e.what(), HasSubstr("'*.created' has a wildcard in the resource part"));
        EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("ok.fine")));
    }
    EXPECT_THROW(de::subscription({}, "hc", de::topic_routing::per_event_type), de::config_error);
    EXPECT_THROW(de::subscription({"*"}, "hc", de::topic_routing::per_event_type), de::config_error);
}

TEST(subscription, glob_matching) {
    EXPECT_TRUE(de::glob_matches("a.*", "a.b"));
    EXPECT_TRUE(de::glob_matches("a.*", "a."));
    EXPECT_TRUE(de::glob_matches("*.b.*", "x.y.b.z"));
    EXPECT_FALSE(de::glob_matches("*.b", "x.bc"));
    EXPECT_FALSE(de::glob_matches("a.b", "a.bb"));
    EXPECT_TRUE(de::glob_matches("a*b*c", "aXbYbZc"));
}
