// One size limit from validation to the broker (docs/interop.md, "Size limits"): the limit is the
// Kafka record's (envelope, key, headers, framing); an event at it reaches a broker with default
// settings, one a byte over is refused when it is written, never dead-lettered by the relay.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/publish/kafka_record.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/kafka/topic_admin.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <set>

#include "kafka_client.hpp"
#include "kafka_tier.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

using kafka_size_limit = de::testing::kafka_outbox_tier;

// A `document.attached` event whose Kafka record is exactly `bytes` bytes.
de::event record_of(std::size_t bytes, const std::string& id, const std::string& source) {
    de::event_metadata metadata;
    metadata.source = source;
    auto e = de::make_event("document.attached", "document", id, 1, {{"filler", ""}}, metadata);
    const auto base = de::kafka_record_bytes(e, de::serialize(e));
    e.data["filler"] = std::string(bytes - base, 'x');  // one byte of envelope per character
    EXPECT_EQ(de::kafka_record_bytes(e, de::serialize(e)), bytes);
    return e;
}

TEST_F(kafka_size_limit, an_event_at_the_limit_is_published_and_one_a_byte_over_is_refused_when_written) {
    const auto c = settings("sizelimit");
    const auto limit = c.validation.max_payload_bytes;  // the default, 1 MiB, on a broker with defaults
    std::set<std::size_t> written;
    {
        de::database db(c.database_path);
        de::model_signals signals;
        de::publisher events(db, signals, c);
        for (const auto& [bytes, id] : {std::pair{limit, "at-limit"}, std::pair{limit - 1, "under"}}) {
            db.atomic([&, bytes = bytes, id = id] {  // clang 14 captures no structured binding
                const auto e = events.publish(db, record_of(bytes, id, c.source));
                written.insert(de::serialize(e).size());
            });
        }
        try {
            db.atomic([&] { (void)events.publish(db, record_of(limit + 1, "over", c.source)); });
            ADD_FAILURE() << "an event a byte over the limit was accepted";
        } catch (const de::validation_error& e) {
            EXPECT_THAT(e.what(), ::testing::HasSubstr("Kafka record is " + std::to_string(limit + 1) + " bytes"));
            EXPECT_THAT(e.what(), ::testing::HasSubstr("max_payload_bytes"));
        }
    }
    de::relay relay(c);
    relay.start();
    ASSERT_TRUE(relay.wait_until_published(120s));
    const auto counters = relay.counters();
    EXPECT_EQ(counters.published, 2u);
    EXPECT_EQ(counters.dead_lettered, 0u) << "nothing validation accepted is refused by the producer or the broker";
    const auto records = de::testing::consume(bootstrap_, de::topic_for_event_type(topic_prefix_of(c), "document.attached"),
                                              topic_prefix_of(c) + "-reader", 2, 60s);
    std::set<std::size_t> read;
    for (const auto& r : records) read.insert(r.value.size());
    EXPECT_EQ(read, written);
}

TEST_F(kafka_size_limit, a_broker_or_topic_limit_below_the_configured_one_is_named_in_a_warning) {
    auto c = settings("sizewarn");
    de::topic_admin admin(c);
    EXPECT_THAT(admin.broker_limit_problems(), ::testing::IsEmpty()) << "a broker with defaults takes 1 MiB events";
    const auto existing = topic_prefix_of(c) + ".document.attached";
    de::testing::create_topic(bootstrap_, existing, 1, 1);  // the broker's default max.message.bytes

    c.validation.max_payload_bytes = 2 * 1024 * 1024;
    de::topic_admin larger(c);
    const auto problems = larger.broker_limit_problems();
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(problems.front(), ::testing::HasSubstr("message.max.bytes="));
    EXPECT_THAT(problems.front(), ::testing::HasSubstr("DOMAIN_EVENTS_MAX_PAYLOAD_BYTES"));
    const auto report = larger.ensure({existing, c.topics});
    EXPECT_EQ(report, de::topic_outcome::differs) << report;
    EXPECT_THAT(report.detail, ::testing::HasSubstr("max.message.bytes: want at least 2097152"));
    const auto created = larger.ensure({topic_prefix_of(c) + ".document.removed", c.topics});
    EXPECT_EQ(created, de::topic_outcome::created);
    EXPECT_EQ(larger.ensure({created.topic, c.topics}), de::topic_outcome::matches)
        << "the relay's topics are created with max.message.bytes = the limit";
}

}  // namespace
