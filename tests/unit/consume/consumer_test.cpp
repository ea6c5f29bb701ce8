// Consumer construction: every setting is checked before any Kafka client exists.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/consume/consumer.hpp>
#include <domain_events/consume/dead_letter_topic_headers.hpp>
#include <domain_events/error.hpp>

#include "prefixed_config.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;

namespace {

class consumer_config : public ::testing::Test {
protected:
    de::testing::temp_dir dir;
    de::config settings() const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = "127.0.0.1:1";  // never contacted: nothing here runs
        return c;
    }
    de::consumer_options options() const {
        de::consumer_options o;
        o.group_id = "g";
        o.event_types = {"patient.created"};
        o.database_path = dir.file("consumer.db");
        return o;
    }
    std::string error_of(const de::config& c, const de::consumer_options& o) {
        try {
            de::consumer consumer(c, o);
        } catch (const de::config_error& e) {
            return e.what();
        }
        return "no error";
    }
};

TEST_F(consumer_config, names_every_bad_option) {
    auto o = options();
    o.group_id.clear();
    o.max_handler_attempts = 0;
    o.commit_interval = std::chrono::milliseconds{0};
    o.max_batch_events = 0;
    o.max_batch_delay = std::chrono::milliseconds{-1};
    o.lock_wait = std::chrono::milliseconds{0};
    o.missing_topic_refresh = std::chrono::milliseconds{50};
    auto c = settings();
    c.bootstrap_servers.clear();
    const auto what = error_of(c, o);
    EXPECT_THAT(what, HasSubstr("group_id"));
    EXPECT_THAT(what, HasSubstr("max_handler_attempts=0"));
    EXPECT_THAT(what, HasSubstr("commit_interval"));
    EXPECT_THAT(what, HasSubstr("max_batch_events=0"));
    EXPECT_THAT(what, HasSubstr("max_batch_delay=-1ms"));
    EXPECT_THAT(what, HasSubstr("lock_wait=0ms"));
    EXPECT_THAT(what, HasSubstr("missing_topic_refresh=50ms"));
    EXPECT_THAT(what, HasSubstr("KAFKA_BOOTSTRAP_SERVERS"));
}

TEST_F(consumer_config, refuses_a_bad_event_type) {
    auto o = options();
    o.event_types = {"PatientCreated"};
    EXPECT_THAT(error_of(settings(), o), HasSubstr("'PatientCreated'"));
}

TEST_F(consumer_config, refuses_properties_that_would_commit_offsets_of_events_not_applied) {
    for (const auto* name : {"enable.auto.commit", "enable.auto.offset.store"}) {
        auto c = settings();
        c.kafka_properties[name] = "true";
        EXPECT_THAT(error_of(c, options()), HasSubstr(name));
    }
    auto c = settings();
    c.kafka_properties["no.such.property"] = "1";
    EXPECT_THAT(error_of(c, options()), HasSubstr("no.such.property"));
}

TEST_F(consumer_config, a_handler_must_be_for_a_subscribed_type) {
    auto o = options();
    o.event_types = {"patient.*"};
    de::consumer consumer(settings(), o);
    EXPECT_NO_THROW(consumer.on("patient.updated", [](const de::event&, de::database&) {}));
    EXPECT_THROW(consumer.on("appointment.booked", [](const de::event&, de::database&) {}), de::config_error);
    EXPECT_THROW(consumer.on("patient.created", nullptr), de::usage_error);
}

TEST(dead_letter_reason, names) {
    EXPECT_EQ(de::to_string(de::dead_letter_reason::not_json), "not_json");
    EXPECT_EQ(de::to_string(de::dead_letter_reason::handler_failed), "handler_failed");
    EXPECT_EQ(de::to_string(static_cast<de::dead_letter_reason>(99)), "invalid");
}

}  // namespace
