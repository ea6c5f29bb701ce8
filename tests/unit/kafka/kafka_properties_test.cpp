// One rule for a client's librdkafka properties (src/kafka_properties.hpp): the library's
// defaults, the user's on top, pinned properties refused unless set to what they must be; and
// the pins of the relay, the group member and the dead-letter producer. No Kafka.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>

#include <map>
#include <string>

#include "consume/dead_letter_producer.hpp"
#include "consume/group_member.hpp"
#include "kafka/kafka_properties.hpp"
#include "relay/relay_producer.hpp"

namespace de = domain_events;
namespace detail = domain_events::detail;
using ::testing::HasSubstr;
using properties = std::map<std::string, std::string>;

namespace {

// The config_error's text, or "" when nothing was thrown.
template <class F>
std::string refusal(F&& build) {
    try {
        static_cast<void>(build());
    } catch (const de::config_error& e) {
        return e.what();
    }
    return {};
}

const detail::pinned_property idempotence_pin =
    detail::pin_to("enable.idempotence", "true", "would break things; the test requires true");

TEST(merge_properties, keeps_the_defaults_the_user_does_not_set) {
    const auto merged = detail::merge_properties({{"linger.ms", "5"}, {"acks", "all"}}, {}, {}, "test");
    EXPECT_EQ(merged, (properties{{"linger.ms", "5"}, {"acks", "all"}}));
}

TEST(merge_properties, a_user_property_replaces_the_default_and_adds_new_ones) {
    const auto merged =
        detail::merge_properties({{"linger.ms", "5"}}, {{"linger.ms", "20"}, {"client.id", "app"}}, {}, "test");
    EXPECT_EQ(merged, (properties{{"linger.ms", "20"}, {"client.id", "app"}}));
}

TEST(merge_properties, a_pinned_property_set_to_an_accepted_value_is_kept) {
    const detail::pinned_property pins[] = {idempotence_pin, detail::pin_acks_all("test")};
    const auto merged = detail::merge_properties({{"enable.idempotence", "true"}, {"acks", "all"}},
                                                 {{"enable.idempotence", "true"}, {"acks", "-1"}}, pins, "test");
    EXPECT_EQ(merged.at("acks"), "-1") << "the user's accepted spelling is what librdkafka gets";
    EXPECT_EQ(merged.at("enable.idempotence"), "true");
}

TEST(merge_properties, a_pinned_property_set_otherwise_is_refused_naming_it_and_why) {
    const detail::pinned_property pins[] = {idempotence_pin};
    const auto text = refusal(
        [&] { return detail::merge_properties({{"enable.idempotence", "true"}}, {{"enable.idempotence", "false"}}, pins, "test"); });
    EXPECT_EQ(text, "test: librdkafka property enable.idempotence='false' would break things; the test requires true");
}

TEST(merge_properties, a_number_pin_accepts_only_plain_numbers_at_or_above_its_floor) {
    const detail::pinned_property pins[] = {detail::pin_at_least("message.max.bytes", 1000, "is too small")};
    const auto merge = [&](const std::string& value) {
        return detail::merge_properties({}, {{"message.max.bytes", value}}, pins, "test");
    };
    EXPECT_EQ(merge("1000").at("message.max.bytes"), "1000");
    EXPECT_EQ(merge("5000").at("message.max.bytes"), "5000");
    for (const std::string bad : {"999", "", "1e6", "2000 ", "-1"}) {
        EXPECT_THAT(refusal([&] { return merge(bad); }), HasSubstr("message.max.bytes='" + bad + "' is too small")) << bad;
    }
}

TEST(client_properties, the_relay_refuses_what_would_break_ordering_and_keeps_the_rest) {
    const auto relay = [](const properties& user) {
        return detail::relay_producer_properties("broker:9092", std::chrono::milliseconds{0}, 1'048'576, user);
    };
    EXPECT_THAT(refusal([&] { return relay({{"enable.gapless.guarantee", "false"}}); }),
                HasSubstr("relay: librdkafka property enable.gapless.guarantee='false' would let a failed message be overtaken"));
    EXPECT_THAT(refusal([&] { return relay({{"acks", "1"}}); }),
                HasSubstr("relay: librdkafka property acks='1' does not wait for every in-sync replica"));
    EXPECT_THAT(refusal([&] { return relay({{"message.max.bytes", "1000"}}); }),
                HasSubstr("is below DOMAIN_EVENTS_MAX_PAYLOAD_BYTES (1048576)"));
    const auto merged = relay({{"acks", "all"}, {"linger.ms", "7"}});
    EXPECT_EQ(merged.at("linger.ms"), "7");
    EXPECT_EQ(merged.at("enable.idempotence"), "true");
    EXPECT_EQ(merged.at("partitioner"), "murmur2_random");
}

TEST(client_properties, the_group_member_refuses_automatic_offsets_and_another_group) {
    const auto member = [](const properties& user) {
        return detail::group_member_properties("broker:9092", "billing", true, user);
    };
    EXPECT_THAT(refusal([&] { return member({{"enable.auto.commit", "true"}}); }),
                HasSubstr("consumer: librdkafka property enable.auto.commit='true' would commit offsets"));
    EXPECT_THAT(refusal([&] { return member({{"group.id", "other"}}); }),
                HasSubstr("group.id='other' contradicts group_id 'billing'"));
    EXPECT_EQ(member({{"group.id", "billing"}}).at("group.id"), "billing");
    EXPECT_EQ(member({}).at("auto.offset.reset"), "earliest");
}

TEST(client_properties, the_dead_letter_producer_pins_idempotence_acks_and_its_record_limit) {
    const auto dead_letters = [](const properties& user) {
        return detail::dead_letter_producer_properties("broker:9092", 2'000'000, user);
    };
    EXPECT_THAT(refusal([&] { return dead_letters({{"enable.idempotence", "false"}}); }),
                HasSubstr("consumer dead letters: librdkafka property enable.idempotence='false'"));
    EXPECT_THAT(refusal([&] { return dead_letters({{"acks", "0"}}); }),
                HasSubstr("consumer dead letters: librdkafka property acks='0' does not wait"));
    EXPECT_THAT(refusal([&] { return dead_letters({{"message.max.bytes", "1048576"}}); }),
                HasSubstr("is below the dead-letter record limit (2000000)"));
    const auto merged = dead_letters({{"acks", "-1"}, {"message.max.bytes", "3000000"}});
    EXPECT_EQ(merged.at("acks"), "-1");
    EXPECT_EQ(merged.at("message.max.bytes"), "3000000");
    EXPECT_EQ(dead_letters({}).at("message.max.bytes"), "2000000");
}

}  // namespace
