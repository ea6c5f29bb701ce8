// The delivery verifier's rules on handcrafted deliveries (lost, duplicated, reordered, split,
// unexpected), and reading the committed events back from an outbox file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/config.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/event.hpp>
#include <domain_events/storage/outbox.hpp>

#include <algorithm>
#include <array>

#include "prefixed_config.hpp"
#include "delivery_verifier.hpp"
#include "partition_end.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using de::testing::committed_event;
using de::testing::delivered_message;
using ::testing::HasSubstr;

namespace {

const std::string created = "healthcore.patient.created";
const std::string updated = "healthcore.patient.updated";

committed_event event(std::int64_t position, std::string key = "p-1", std::string topic = created) {
    return {.position = position, .event_id = "e" + std::to_string(position), .aggregate_id = std::move(key),
            .topic = std::move(topic)};
}

committed_event dead(std::int64_t position, std::string key = "p-1", std::string topic = created) {
    auto e = event(position, std::move(key), std::move(topic));
    e.dead = true;
    return e;
}

/** A message carrying event `e<position>`. */
delivered_message message(std::int64_t position, std::int64_t offset, std::string key = "p-1",
                          std::int32_t partition = 0, std::string topic = created) {
    return {.topic = std::move(topic), .partition = partition, .offset = offset, .key = std::move(key),
            .event_id = "e" + std::to_string(position)};
}

/** Messages for `positions`, in that order, at offsets 0.. of one partition, all under key p-1. */
std::vector<delivered_message> sent(std::initializer_list<std::int64_t> positions) {
    std::vector<delivered_message> out;
    for (const auto position : positions) out.push_back(message(position, static_cast<std::int64_t>(out.size())));
    return out;
}

const std::vector<committed_event> three = {event(1), event(2), event(3)};

TEST(delivery_verifier, everything_delivered_once_in_order_is_ok) {
    const auto v = de::testing::verify(three, sent({1, 2, 3}));
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.committed, 3u);
    EXPECT_EQ(v.delivered, 3u);
    EXPECT_EQ(v.lost + v.duplicates + v.reorders + v.unexpected + v.dead, 0u);
    EXPECT_TRUE(v.problems.empty());
}

TEST(delivery_verifier, nothing_committed_and_nothing_delivered_is_ok) {
    const auto v = de::testing::verify({}, {});
    EXPECT_TRUE(v.ok());
    EXPECT_EQ(v.committed, 0u);
}

TEST(delivery_verifier, a_missing_event_is_lost) {
    const auto v = de::testing::verify(three, sent({1, 3}));
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.lost, 1u);
    EXPECT_EQ(v.delivered, 2u);
    EXPECT_EQ(v.reorders, 0u) << "a gap is a loss, not a reorder";
    ASSERT_EQ(v.problems.size(), 1u);
    EXPECT_THAT(v.problems[0], HasSubstr("lost"));
    EXPECT_THAT(v.problems[0], HasSubstr("position 2"));
    EXPECT_THAT(v.problems[0], HasSubstr("e2"));
}

TEST(delivery_verifier, a_duplicate_is_counted_but_fine) {
    const auto v = de::testing::verify(three, sent({1, 2, 2, 3}));
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.duplicates, 1u);
    EXPECT_EQ(v.delivered, 3u);
}

TEST(delivery_verifier, first_occurrences_out_of_commit_order_are_a_reorder) {
    const auto v = de::testing::verify(three, sent({1, 3, 2}));
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.reorders, 1u);
    EXPECT_EQ(v.lost, 0u);
    ASSERT_EQ(v.problems.size(), 1u);
    EXPECT_THAT(v.problems[0], HasSubstr("reorder"));
    EXPECT_THAT(v.problems[0], HasSubstr("position 2 (e2) first seen after position 3 (e3)"));
}

TEST(delivery_verifier, a_re_send_after_a_rewind_is_duplicates_only) {
    const auto v = de::testing::verify(three, sent({1, 2, 3, 2, 3}));
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.duplicates, 2u);
    EXPECT_EQ(v.reorders, 0u);
    EXPECT_EQ(v.delivered, 3u);
}

TEST(delivery_verifier, a_duplicate_ahead_of_its_first_occurrence_order_is_still_a_reorder) {
    // 2 is first seen before 1: re-sending 1 and 2 afterwards does not repair that.
    const auto v = de::testing::verify(three, sent({2, 1, 2, 3}));
    EXPECT_EQ(v.reorders, 1u);
    EXPECT_EQ(v.duplicates, 1u);
}

TEST(delivery_verifier, a_key_split_across_partitions_is_a_reorder) {
    // In order by position, but Kafka cannot keep the order of two partitions.
    const auto v = de::testing::verify(three, {message(1, 0, "p-1", 0), message(2, 0, "p-1", 1), message(3, 1, "p-1", 0)});
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.reorders, 1u);
    EXPECT_EQ(v.lost, 0u);
    ASSERT_FALSE(v.problems.empty());
    EXPECT_THAT(v.problems[0], HasSubstr("key 'p-1'"));
    EXPECT_THAT(v.problems[0], HasSubstr("partition 1 and 0"));
}

TEST(delivery_verifier, keys_and_topics_are_ordered_independently) {
    // p-1: 1, 3; p-2: 2, 4 (in another topic's partition too): interleaving across keys is fine.
    const std::vector<committed_event> committed = {event(1, "p-1"), event(2, "p-2"), event(3, "p-1"),
                                                    event(4, "p-2"), event(5, "p-1", updated)};
    const std::vector<delivered_message> delivered = {message(2, 0, "p-2"), message(4, 1, "p-2"),
                                                      message(1, 2, "p-1"), message(3, 3, "p-1"),
                                                      message(5, 0, "p-1", 0, updated)};
    const auto v = de::testing::verify(committed, delivered);
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.delivered, 5u);
}

TEST(delivery_verifier, messages_are_checked_in_offset_order_whatever_order_they_are_given_in) {
    auto delivered = sent({1, 2, 3});
    std::ranges::reverse(delivered);
    EXPECT_TRUE(de::testing::verify(three, delivered).ok());

    auto reordered = sent({1, 3, 2});
    std::ranges::reverse(reordered);
    EXPECT_EQ(de::testing::verify(three, reordered).reorders, 1u);
}

TEST(delivery_verifier, a_message_of_no_committed_event_is_unexpected) {
    auto delivered = sent({1, 2, 3});
    delivered.push_back(message(99, 3));
    const auto v = de::testing::verify(three, delivered);
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.unexpected, 1u);
    EXPECT_EQ(v.delivered, 3u);
    ASSERT_EQ(v.problems.size(), 1u);
    EXPECT_THAT(v.problems[0], HasSubstr("unexpected"));
    EXPECT_THAT(v.problems[0], HasSubstr(created + "[0]@3"));
    EXPECT_THAT(v.problems[0], HasSubstr("e99, which was never committed"));
}

TEST(delivery_verifier, a_message_without_an_event_id_is_unexpected) {
    auto delivered = sent({1, 2, 3});
    delivered.push_back(message(0, 3));
    delivered.back().event_id.clear();
    const auto v = de::testing::verify(three, delivered);
    EXPECT_EQ(v.unexpected, 1u);
    ASSERT_EQ(v.problems.size(), 1u);
    EXPECT_THAT(v.problems[0], HasSubstr("no event_id"));
}

TEST(delivery_verifier, an_event_in_the_wrong_topic_is_unexpected_and_not_delivered) {
    const auto v = de::testing::verify(three, {message(1, 0), message(2, 0, "p-1", 0, updated), message(3, 1)});
    EXPECT_EQ(v.unexpected, 1u);
    EXPECT_EQ(v.lost, 1u) << "it did not reach the topic its consumers read";
    EXPECT_THAT(v.problems[0], HasSubstr("belongs in " + created));
}

TEST(delivery_verifier, an_event_under_the_wrong_key_is_unexpected_and_not_delivered) {
    const auto v = de::testing::verify(three, {message(1, 0), message(2, 1, "p-2"), message(3, 2)});
    EXPECT_EQ(v.unexpected, 1u);
    EXPECT_EQ(v.lost, 1u);
    EXPECT_THAT(v.problems[0], HasSubstr("under key 'p-2', not its aggregate id 'p-1'"));
}

TEST(delivery_verifier, dead_letters_must_stay_out_of_kafka) {
    const std::vector<committed_event> committed = {event(1), dead(2), event(3)};
    const auto fine = de::testing::verify(committed, sent({1, 3}));
    EXPECT_TRUE(fine.ok()) << de::testing::describe(fine);
    EXPECT_EQ(fine.committed, 2u);
    EXPECT_EQ(fine.dead, 1u);
    EXPECT_EQ(fine.delivered, 2u);

    const auto v = de::testing::verify(committed, sent({1, 2, 3}));
    EXPECT_EQ(v.unexpected, 1u);
    EXPECT_THAT(v.problems[0], HasSubstr("dead letter e2"));
}

TEST(delivery_verifier, a_replayed_dead_letter_counts_as_its_live_row) {
    // Both rows seen at once (replayed while reading): the live one, at its new position, counts.
    auto replayed = event(4);
    replayed.event_id = "e2";
    const std::vector<committed_event> committed = {event(1), dead(2), event(3), replayed};
    const auto v = de::testing::verify(committed, sent({1, 3, 2}));
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.committed, 3u);
    EXPECT_EQ(v.dead, 0u);
}

TEST(delivery_verifier, describe_gives_the_counts_and_the_problems) {
    auto delivered = sent({1, 3, 2, 2});
    delivered.push_back(message(42, 4));
    const auto v = de::testing::verify({event(1), event(2), event(3), event(4)}, delivered);
    const auto text = de::testing::describe(v);
    EXPECT_THAT(text, HasSubstr("committed 4 (dead 0), delivered 3, lost 1, duplicates 1, reorders 1, unexpected 1"));
    EXPECT_THAT(text, HasSubstr("\n  lost: position 4"));
    EXPECT_THAT(text, HasSubstr("\n  reorder: "));
    EXPECT_THAT(text, HasSubstr("\n  unexpected: "));
}

TEST(delivery_verifier, problems_are_capped_but_counts_are_not) {
    std::vector<committed_event> committed;
    for (int i = 1; i <= 100; ++i) committed.push_back(event(i));
    const auto v = de::testing::verify(committed, {});
    EXPECT_EQ(v.lost, 100u);
    EXPECT_EQ(v.problems.size(), de::testing::verification::max_problems);
    EXPECT_THAT(de::testing::describe(v), HasSubstr("and 80 more"));
}

TEST(delivery_verifier, topics_of_lists_the_topics_events_must_reach) {
    const std::vector<committed_event> committed = {event(1, "p-1", updated), event(2), event(3, "p-2", updated),
                                                    dead(4, "p-1", "healthcore.appointment.booked")};
    EXPECT_EQ(de::testing::topics_of(committed), (std::vector<std::string>{created, updated}));
}

class committed_events_test : public ::testing::Test {
protected:
    void SetUp() override { de::outbox::install(db_); }

    std::int64_t append(const std::string& type, const std::string& aggregate_type, const std::string& id,
                        std::int64_t version) {
        ids_.push_back("");
        return db_.atomic([&] {
            auto e = de::make_event(type, aggregate_type, id, version, {{"n", version}});
            ids_.back() = e.event_id;
            return de::outbox(db_).append(e);
        });
    }

    de::testing::temp_dir dir_;
    std::string path_ = dir_.file("outbox.db");
    de::database db_{path_};
    std::vector<std::string> ids_;
};

TEST_F(committed_events_test, reads_pending_published_and_dead_rows_with_their_topics) {
    const auto p1 = append("patient.created", "patient", "7", 1);
    const auto p2 = append("patient.updated", "patient", "7", 2);
    const auto p3 = append("appointment.booked", "appointment", "a-1", 1);
    de::outbox box(db_);
    box.mark_published_through(p1, de::now_ms());
    box.move_to_dead_letters(p3, "Broker: Message size too large", de::now_ms());

    auto settings = de::testing::prefixed_config();
    settings.topic_prefix = "clinic";
    const auto events = de::testing::committed_events(path_, settings);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].position, p1);
    EXPECT_EQ(events[0].event_id, ids_[0]);
    EXPECT_EQ(events[0].aggregate_id, "7");
    EXPECT_EQ(events[0].topic, "clinic.patient.created");
    EXPECT_FALSE(events[0].dead);
    EXPECT_EQ(events[1].position, p2);
    EXPECT_EQ(events[1].topic, "clinic.patient.updated");
    EXPECT_FALSE(events[1].dead);
    EXPECT_EQ(events[2].position, p3) << "a dead letter keeps its original position";
    EXPECT_EQ(events[2].event_id, ids_[2]);
    EXPECT_EQ(events[2].aggregate_id, "a-1");
    EXPECT_EQ(events[2].topic, "clinic.appointment.booked");
    EXPECT_TRUE(events[2].dead);

    settings.routing = de::topic_routing::per_aggregate;
    settings.topic_prefix = "";
    const auto by_aggregate = de::testing::committed_events(path_, settings);
    ASSERT_EQ(by_aggregate.size(), 3u);
    EXPECT_EQ(by_aggregate[0].topic, "patient");
    EXPECT_EQ(by_aggregate[1].topic, "patient");
    EXPECT_EQ(by_aggregate[2].topic, "appointment");
}

TEST(committed_events, a_missing_file_is_an_error_naming_it) {
    de::testing::temp_dir dir;
    const auto path = dir.file("nowhere.db");
    try {
        (void)de::testing::committed_events(path, de::testing::prefixed_config());
        FAIL() << "expected storage_error";
    } catch (const de::storage_error& e) {
        EXPECT_THAT(e.what(), HasSubstr(path));
    }
}

}  // namespace

// Reading a partition back: where its end is.

TEST(partition_end, an_end_of_partition_below_the_listed_end_is_read_past) {
    // A new leader's first fetches end at the high watermark it heard from the old leader.
    de::testing::partition_end end;
    for (std::int64_t offset = 0; offset < 7; ++offset) end.read(offset);
    end.end_of_partition(7);
    EXPECT_TRUE(end.wants_listed_end());
    end.listed_end(10);
    EXPECT_FALSE(end.wants_listed_end()) << "asked once it is known";
    EXPECT_FALSE(end.finished()) << "offsets 7 to 9 were acknowledged but not read yet";
    end.read(7);
    end.read(8);
    EXPECT_FALSE(end.finished());
    end.read(9);
    EXPECT_TRUE(end.finished());
}

TEST(partition_end, nothing_is_asked_or_finished_before_an_end_of_partition) {
    de::testing::partition_end end;
    end.read(0);
    EXPECT_FALSE(end.wants_listed_end()) << "reading is still under way";
    EXPECT_FALSE(end.finished());
}

TEST(partition_end, an_empty_partition_and_one_ending_in_control_records_finish_at_the_end_of_partition) {
    de::testing::partition_end empty;
    empty.end_of_partition(0);
    empty.listed_end(0);
    EXPECT_TRUE(empty.finished());

    de::testing::partition_end transactional;  // offsets 3 and 4: commit markers, never delivered
    for (std::int64_t offset = 0; offset < 3; ++offset) transactional.read(offset);
    transactional.end_of_partition(5);
    transactional.listed_end(5);
    EXPECT_TRUE(transactional.finished());
}
