// A consumer's dead letter fits the dead-letter topic whatever the original's key and headers
// hold: the story is kept whole, the value cut to dead_letter_max_bytes, then the key and the
// original headers fill the room left, each cut or left out with a header saying so.
#include <gtest/gtest.h>

#include <domain_events/consume/dead_letter_topic_headers.hpp>

#include <map>
#include <string>

#include "consume/dead_letter_record.hpp"

namespace de = domain_events;
namespace dd = domain_events::detail;

namespace {

constexpr std::size_t max_value = 900'000;
constexpr std::size_t limit = max_value + 64 * 1024;

std::map<std::string, std::string> by_name(const dd::dead_letter_record& r) {
    std::map<std::string, std::string> out;
    for (const auto& h : r.headers()) out.emplace(h.name, h.value);
    return out;
}

std::size_t record_bytes(const dd::dead_letter_record& r) { return de::kafka_record_bytes(r.key(), r.value(), r.headers()); }

const std::vector<de::record_header> story = {{"dlq.reason", "not_json"}, {"dlq.error", "value: 9 bytes that are not JSON"}};

}  // namespace

TEST(dead_letter_record, a_message_that_fits_is_kept_as_it_came_with_its_story_after_its_headers) {
    const std::vector<de::record_header> original = {{"trace", "t-1"}, {"event_type", "patient.created"}};
    const dd::dead_letter_record r("key-1", "garbage", original, story, max_value, limit);
    EXPECT_EQ(r.key(), "key-1");
    EXPECT_EQ(r.value(), "garbage");
    ASSERT_EQ(r.headers().size(), 4u);
    EXPECT_EQ(r.headers()[0].name, "trace");
    EXPECT_EQ(r.headers()[1].name, "event_type");
    EXPECT_EQ(r.headers()[2].name, "dlq.reason");
    EXPECT_EQ(r.headers()[3].name, "dlq.error");
}

TEST(dead_letter_record, headers_and_a_key_past_the_room_are_left_out_and_cut_and_the_record_fits) {
    const std::string value(max_value + 50'000, 'x');
    const std::string key(20'000, 'k');
    const std::string blob(1'100'000, 'b');
    const std::vector<de::record_header> original = {{"blob", blob}, {"trace", "t-2"}, {"second-blob", blob}};
    const dd::dead_letter_record r(key, value, original, story, max_value, limit);
    EXPECT_LE(record_bytes(r), limit);
    EXPECT_EQ(r.value().size(), max_value);
    EXPECT_EQ(r.key().size(), dd::max_dead_letter_key_bytes);
    const auto headers = by_name(r);
    EXPECT_EQ(headers.count("blob"), 0u);
    EXPECT_EQ(headers.count("second-blob"), 0u);
    EXPECT_EQ(headers.at("trace"), "t-2");
    EXPECT_EQ(headers.at("dlq.reason"), "not_json");
    EXPECT_EQ(headers.at(std::string(de::dlq_header::original_size)), std::to_string(value.size()));
    EXPECT_EQ(headers.at(std::string(de::dlq_header::original_key_size)), "20000");
    EXPECT_EQ(headers.at(std::string(de::dlq_header::original_headers_dropped)), "2");
}

TEST(dead_letter_record, a_limit_smaller_than_the_value_allows_cuts_the_value_to_keep_the_story) {
    const std::string value(5'000, 'x');
    const dd::dead_letter_record r("k", value, {}, story, max_value, 2'000);
    EXPECT_LE(record_bytes(r), 2'000u);
    EXPECT_LT(r.value().size(), value.size());
    EXPECT_EQ(by_name(r).at("dlq.error"), "value: 9 bytes that are not JSON");
}

TEST(dead_letter_record, cut_text_stops_at_a_character_boundary_and_says_it_was_cut) {
    EXPECT_EQ(dd::cut_text("short", 10), "short");
    EXPECT_EQ(dd::cut_text(std::string(2000, 'e'), 1024), std::string(1021, 'e') + "\u2026");
    // "é" is two bytes: a cut between them would leave half a character.
    const auto cut = dd::cut_text("ab\u00e9\u00e9\u00e9", 6);
    EXPECT_EQ(cut, "ab\u2026");
    EXPECT_LE(dd::cut_text(std::string(5000, 'x'), 1024).size(), 1024u);
}
