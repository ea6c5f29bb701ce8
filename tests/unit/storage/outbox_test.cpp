// The outbox table: append only in a transaction, commit order, publish/failure/dead-letter
// bookkeeping, retention, counts, and plans that stay O(batch).
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/storage/outbox.hpp>

#include <atomic>
#include <map>
#include <thread>

#include "storage/outbox_schema.hpp"
#include "old_outbox_rows.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

de::event sample(const std::string& aggregate_id, std::int64_t version, const std::string& type = "patient.updated") {
    return de::make_event(type, "patient", aggregate_id, version, {{"n", version}});
}

class outbox_test : public ::testing::Test {
protected:
    void SetUp() override { de::outbox::install(db_); }

    std::int64_t append(const de::event& e) {
        return db_.atomic([&] { return box_.append(e); });
    }

    std::vector<std::int64_t> positions(const std::vector<de::outbox_record>& batch) {
        std::vector<std::int64_t> out;
        for (const auto& r : batch) out.push_back(r.position);
        return out;
    }

    de::testing::temp_dir dir_;
    de::database db_{dir_.file("outbox.db")};
    de::outbox box_{db_};
};

}  // namespace

TEST_F(outbox_test, append_outside_a_transaction_is_refused_and_names_the_event) {
    const auto e = sample("1", 1);
    try {
        box_.append(e);
        FAIL() << "expected usage_error";
    } catch (const de::usage_error& err) {
        EXPECT_NE(std::string(err.what()).find(e.event_id), std::string::npos) << err.what();
        EXPECT_NE(std::string(err.what()).find("outside a transaction"), std::string::npos) << err.what();
    }
    EXPECT_EQ(box_.counts(de::now_ms()).pending, 0);
}

TEST_F(outbox_test, install_is_idempotent_and_records_the_schema_version) {
    de::outbox::install(db_);
    auto q = db_.prepare("SELECT version FROM domain_events_schema WHERE component = 'outbox'");
    ASSERT_TRUE(q->step());
    EXPECT_EQ(q->column_int64(0), de::outbox::schema_version);
}

// A version-1 file (one published row per event) keeps its watermark through the upgrade; a row
// version 1 had marked above the watermark is pending again, and retention still finds the rest.
TEST(outbox_schema_upgrade, version_1_published_rows_become_a_watermark_mark) {
    de::testing::temp_dir dir;
    de::database db(dir.file("v1.db"));
    de::detail::install_outbox_schema(db, 1);
    de::outbox box(db);
    db.atomic([&] {
        for (int v = 1; v <= 5; ++v) de::testing::append_before_schema_5(db, sample("p", v));
    });
    const auto t0 = de::now_ms();
    const auto ms = [&](std::chrono::milliseconds after) { return std::to_string((t0 + after).time_since_epoch().count()); };
    db.execute("INSERT INTO domain_events_outbox_published (position, published_at_ms) VALUES (1, " + ms(0ms) +
               "), (2, " + ms(5ms) + "), (4, " + ms(9ms) + ")");
    db.execute("UPDATE domain_events_outbox_stats SET published = 3, published_through = 2");

    de::outbox::install(db);

    EXPECT_EQ(box.published_through(), 2);
    const auto counts = box.counts(t0);
    EXPECT_EQ(counts.published, 2);
    EXPECT_EQ(counts.pending, 3);
    std::vector<std::int64_t> pending;
    for (const auto& r : box.next_batch(10)) pending.push_back(r.position);
    EXPECT_EQ(pending, (std::vector<std::int64_t>{3, 4, 5}));
    // Dated by the newest publication at or below the watermark (t0 + 5 ms), so not yet expired at it.
    EXPECT_EQ(box.delete_published_before(t0 + 5ms, 100), 0u);
    EXPECT_EQ(box.delete_published_before(t0 + 6ms, 100), 2u);
    EXPECT_EQ(box.counts(t0).pending, 3);
}

TEST_F(outbox_test, a_newer_schema_than_this_build_is_refused) {
    db_.execute("UPDATE domain_events_schema SET version = 99 WHERE component = 'outbox'");
    try {
        de::outbox::install(db_);
        FAIL() << "expected error";
    } catch (const de::error& e) {
        EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
    }
}

TEST_F(outbox_test, next_batch_returns_pending_rows_in_commit_order_with_the_envelope) {
    const auto first = sample("7", 1, "patient.created");
    const auto second = sample("7", 2);
    append(first);
    append(second);
    const auto batch = box_.next_batch(10);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_LT(batch[0].position, batch[1].position);
    EXPECT_EQ(batch[0].event_id, first.event_id);
    EXPECT_EQ(batch[0].event_type, "patient.created");
    EXPECT_EQ(batch[0].aggregate_id, "7");
    EXPECT_EQ(de::parse_event(batch[0].payload), first);
    EXPECT_EQ(box_.next_batch(10, batch[0].position).size(), 1u);
    EXPECT_EQ(box_.next_batch(1).size(), 1u);
}

TEST_F(outbox_test, visit_pending_shows_the_message_columns_in_order_and_stops_when_asked) {
    auto correlated = sample("7", 1, "patient.created");
    correlated.metadata.correlation_id = "req-9";
    const auto first = append(correlated);
    const auto second = append(sample("8", 1));
    append(sample("9", 1));
    std::vector<std::int64_t> seen;
    const auto shown = box_.visit_pending(10, 0, [&](const de::outbox_message& m) {
        if (m.position == first) {
            EXPECT_EQ(m.event_id, correlated.event_id);
            EXPECT_EQ(m.event_type, "patient.created");
            EXPECT_EQ(m.aggregate_type, "patient");
            EXPECT_EQ(m.aggregate_id, "7");
            EXPECT_EQ(m.correlation_id, std::optional<std::string_view>("req-9"));
            EXPECT_EQ(m.schema_version, correlated.metadata.version);
            EXPECT_EQ(de::parse_event(std::string(m.payload)), correlated);
        } else {
            EXPECT_FALSE(m.correlation_id.has_value());
        }
        seen.push_back(m.position);
        return m.position != second;
    });
    EXPECT_EQ(shown, 2u);
    EXPECT_EQ(seen, (std::vector<std::int64_t>{first, second}));
    EXPECT_EQ(box_.visit_pending(10, second, [](const de::outbox_message&) { return true; }), 1u);
}

TEST_F(outbox_test, published_rows_leave_the_pending_queue_and_are_counted) {
    std::vector<std::int64_t> all;
    for (int i = 1; i <= 5; ++i) all.push_back(append(sample("1", i)));
    EXPECT_EQ(box_.mark_published_through(all[2], de::now_ms()), 3);
    EXPECT_EQ(box_.mark_published_through(all[2], de::now_ms()), 0) << "marking twice counts once";
    EXPECT_EQ(box_.mark_published_through(all[1], de::now_ms()), 0) << "the watermark never goes back";
    EXPECT_EQ(box_.published_through(), all[2]);
    EXPECT_EQ(positions(box_.next_batch(10)), (std::vector<std::int64_t>{all[3], all[4]}));
    EXPECT_FALSE(box_.pending_through(all[2]));
    EXPECT_TRUE(box_.pending_through(all[3]));
    const auto counts = box_.counts(de::now_ms());
    EXPECT_EQ(counts.pending, 2);
    EXPECT_EQ(counts.published, 3);
    EXPECT_EQ(counts.dead, 0);
}

TEST_F(outbox_test, a_failed_attempt_is_recorded_with_its_error_and_retry_time) {
    const auto position = append(sample("1", 1));
    const auto retry_at = de::now_ms() + 5s;
    EXPECT_EQ(box_.record_failure(position, "Broker: Request timed out", retry_at), 1);
    EXPECT_EQ(box_.record_failure(position, "Broker: Not enough in-sync replicas", retry_at), 2);
    const auto batch = box_.next_batch(1);
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].attempts, 2);
    EXPECT_EQ(batch[0].last_error, "Broker: Not enough in-sync replicas");
    EXPECT_EQ(batch[0].next_attempt_at, retry_at);
    EXPECT_THROW(box_.record_failure(position + 100, "x", retry_at), de::usage_error);
}

TEST_F(outbox_test, dead_letters_leave_the_queue_and_replay_keeps_the_event_id) {
    const auto stuck = sample("1", 1);
    const auto position = append(stuck);
    const auto behind = append(sample("2", 1));
    box_.record_failure(position, "Broker: Message size too large", de::now_ms());
    box_.move_to_dead_letters(position, "Broker: Message size too large", de::now_ms());

    EXPECT_EQ(positions(box_.next_batch(10)), (std::vector<std::int64_t>{behind})) << "events behind it proceed";
    const auto letters = box_.dead_letters(10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].event_id, stuck.event_id);
    EXPECT_EQ(letters[0].original_position, position);
    EXPECT_EQ(letters[0].attempts, 1);
    EXPECT_EQ(letters[0].error, "Broker: Message size too large");
    EXPECT_EQ(box_.counts(de::now_ms()).dead, 1);

    const auto replayed = box_.replay_dead_letter(letters[0].id, de::now_ms());
    EXPECT_GT(replayed, behind) << "a replay goes to the end of the queue";
    const auto batch = box_.next_batch(10);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[1].event_id, stuck.event_id);
    EXPECT_EQ(batch[1].attempts, 0);
    EXPECT_FALSE(box_.find_dead_letter(letters[0].id).has_value());
    EXPECT_THROW(box_.replay_dead_letter(letters[0].id, de::now_ms()), de::usage_error);
}

TEST_F(outbox_test, replay_all_requeues_every_dead_letter_in_the_order_they_died) {
    EXPECT_EQ(box_.replay_all_dead_letters(de::now_ms()), 0u);
    const auto first = sample("1", 1), second = sample("2", 1);
    const auto first_position = append(first);
    const auto second_position = append(second);
    box_.move_to_dead_letters(second_position, "Broker: Invalid record", de::now_ms());
    box_.move_to_dead_letters(first_position, "Broker: Invalid record", de::now_ms());
    const auto behind = append(sample("3", 1));

    EXPECT_EQ(box_.replay_all_dead_letters(de::now_ms()), 2u);
    EXPECT_EQ(box_.counts(de::now_ms()).dead, 0);
    const auto batch = box_.next_batch(10);
    ASSERT_EQ(batch.size(), 3u);
    EXPECT_EQ(batch[0].position, behind);
    EXPECT_EQ(batch[1].event_id, second.event_id) << "died first, replayed first";
    EXPECT_EQ(batch[2].event_id, first.event_id);
    EXPECT_EQ(batch[2].payload, de::serialize(first));
}

TEST_F(outbox_test, discard_deletes_a_dead_letter_for_good) {
    const auto position = append(sample("1", 1));
    box_.move_to_dead_letters(position, "Broker: Topic authorization failed", de::now_ms());
    const auto id = box_.dead_letters(1).at(0).id;
    EXPECT_TRUE(box_.discard_dead_letter(id));
    EXPECT_FALSE(box_.discard_dead_letter(id));
    EXPECT_EQ(box_.counts(de::now_ms()).dead, 0);
    EXPECT_THROW(box_.move_to_dead_letters(position, "again", de::now_ms()), de::usage_error);
}

TEST_F(outbox_test, retention_deletes_only_old_published_rows_in_bounded_batches) {
    std::vector<std::int64_t> old_rows, new_rows;
    for (int i = 1; i <= 5; ++i) old_rows.push_back(append(sample("1", i)));
    for (int i = 6; i <= 7; ++i) new_rows.push_back(append(sample("1", i)));
    const auto pending = append(sample("1", 8));
    const auto now = de::now_ms();
    box_.mark_published_through(old_rows.back(), now - 48h);
    box_.mark_published_through(new_rows.back(), now);

    EXPECT_EQ(box_.delete_published_before(now - 24h, 2), 2u);
    EXPECT_EQ(box_.delete_published_before(now - 24h, 100), 3u);
    EXPECT_EQ(box_.delete_published_before(now - 24h, 100), 0u);
    const auto counts = box_.counts(now);
    EXPECT_EQ(counts.published, 2);
    EXPECT_EQ(counts.pending, 1);
    EXPECT_EQ(positions(box_.next_batch(10)), (std::vector<std::int64_t>{pending}));
}

TEST_F(outbox_test, marking_beyond_the_last_appended_position_is_refused_and_names_it) {
    const auto last = append(sample("1", 1));
    try {
        box_.mark_published_through(last + 5, de::now_ms());
        FAIL() << "expected usage_error";
    } catch (const de::usage_error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(last + 5)), std::string::npos) << e.what();
    }
    EXPECT_EQ(box_.counts(de::now_ms()).pending, 1) << "a row committed later must not be marked in advance";
}

// Published state is a watermark; dead letters leave the table, so a watermark passing over a
// dead letter's old position counts only the rows that are still there.
TEST_F(outbox_test, the_watermark_passes_a_dead_letter_without_counting_it_as_published) {
    const auto first = append(sample("1", 1));
    const auto dead = append(sample("2", 1));
    const auto third = append(sample("3", 1));
    const auto fourth = append(sample("4", 1));
    box_.move_to_dead_letters(dead, "Broker: Message size too large", de::now_ms());
    EXPECT_EQ(box_.mark_published_through(third, de::now_ms()), 2);
    auto counts = box_.counts(de::now_ms());
    EXPECT_EQ(counts.published, 2);
    EXPECT_EQ(counts.pending, 1);
    EXPECT_EQ(counts.dead, 1);
    EXPECT_EQ(positions(box_.next_batch(10)), (std::vector<std::int64_t>{fourth}));
    EXPECT_THROW(box_.record_failure(first, "x", de::now_ms()), de::usage_error) << "published is not pending";
    EXPECT_THROW(box_.move_to_dead_letters(third, "x", de::now_ms()), de::usage_error);

    // A replay goes behind the watermark's future, pending again, and is published normally.
    const auto replayed = box_.replay_dead_letter(box_.dead_letters(1).at(0).id, de::now_ms());
    EXPECT_EQ(positions(box_.next_batch(10)), (std::vector<std::int64_t>{fourth, replayed}));
    EXPECT_EQ(box_.mark_published_through(replayed, de::now_ms()), 2);
    counts = box_.counts(de::now_ms());
    EXPECT_EQ(counts.published, 4);
    EXPECT_EQ(counts.pending, 0);
    EXPECT_EQ(counts.dead, 0);
    EXPECT_FALSE(counts.oldest_pending_age.has_value());
}

// Wall-clock time may step back: a later mark with an older time must not let retention delete
// rows behind a mark that is still too young.
TEST_F(outbox_test, retention_stops_at_the_first_mark_that_is_not_old_enough) {
    const auto young = append(sample("1", 1));
    const auto stepped_back = append(sample("1", 2));
    const auto now = de::now_ms();
    box_.mark_published_through(young, now);
    box_.mark_published_through(stepped_back, now - 48h);
    EXPECT_EQ(box_.delete_published_before(now - 24h, 100), 0u);
    EXPECT_EQ(box_.counts(now).published, 2);
    EXPECT_EQ(box_.delete_published_before(now + 1s, 100), 2u);
    EXPECT_EQ(box_.counts(now).published, 0);
}

TEST_F(outbox_test, positions_are_never_reused_after_retention_empties_the_table) {
    const auto last = append(sample("1", 1));
    box_.mark_published_through(last, de::now_ms() - 48h);
    box_.delete_published_before(de::now_ms(), 10);
    EXPECT_GT(append(sample("1", 2)), last) << "a relay remembering `last` would otherwise skip the new row";
}

TEST_F(outbox_test, oldest_pending_age_follows_the_head_of_the_queue) {
    EXPECT_FALSE(box_.counts(de::now_ms()).oldest_pending_age.has_value());
    append(sample("1", 1));
    const auto age = box_.counts(de::now_ms() + 10s).oldest_pending_age;
    ASSERT_TRUE(age.has_value());
    EXPECT_GE(*age, 10s);
    EXPECT_LT(*age, 20s);
}

// Each relay query must be served by the primary key or an index, starting at the watermark,
// never by scanning the whole table (10 million retained rows must not slow the relay down).
TEST_F(outbox_test, every_relay_query_uses_an_index) {
    const std::string watermark = "(SELECT published_through FROM domain_events_outbox_stats WHERE id = 1)";
    const std::map<std::string, std::string> queries = {
        {"next_batch", "SELECT position, payload FROM domain_events_outbox WHERE position > max(0, " + watermark +
                           ") ORDER BY position LIMIT 10"},
        {"pending_through", "SELECT EXISTS (SELECT 1 FROM domain_events_outbox WHERE position > " + watermark +
                                " AND position <= 5)"},
        {"mark_count", "SELECT count(*) FROM domain_events_outbox WHERE position > 3 AND position <= 9"},
        {"oldest_mark", "SELECT through_position, published_at_ms FROM domain_events_outbox_marks "
                        "WHERE through_position > 0 ORDER BY through_position LIMIT 1"},
        {"retention", "SELECT position FROM domain_events_outbox WHERE position <= 9 ORDER BY position LIMIT 10"},
        {"pending_count", "SELECT count(*) FROM domain_events_outbox WHERE position > " + watermark},
        {"oldest_pending", "SELECT created_at_ms FROM domain_events_outbox WHERE position > " + watermark +
                               " ORDER BY position LIMIT 1"},
    };
    for (const auto& [name, sql] : queries) {
        auto plan = db_.prepare("EXPLAIN QUERY PLAN " + sql);
        std::string details;
        while (plan->step()) details += plan->column_text(3) + "; ";
        EXPECT_EQ(details.find("SCAN domain_events"), std::string::npos) << name << " scans: " << details;
        EXPECT_EQ(details.find("USE TEMP B-TREE"), std::string::npos) << name << " sorts: " << details;
        EXPECT_NE(details.find("USING"), std::string::npos) << name << ": " << details;
    }
}

// With SQLite's single writer, position order IS commit order: a reader that keeps a cursor can
// never skip a row that commits late (the gap that sequence-polling outboxes suffer).
TEST_F(outbox_test, a_cursor_reader_never_skips_rows_committed_by_concurrent_writers) {
    constexpr int writers = 3;
    constexpr int per_writer = 300;
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            de::database db(dir_.file("outbox.db"));
            de::outbox box(db);
            for (int i = 1; i <= per_writer; ++i) {
                db.atomic([&] {
                    box.append(sample("writer-" + std::to_string(w), i));
                    if (i % 7 == 0) std::this_thread::yield();  // hold the write lock a little longer
                });
            }
            ++done;
        });
    }
    de::database reader_db(dir_.file("outbox.db"));
    de::outbox reader(reader_db);
    std::int64_t cursor = 0;
    std::map<std::string, std::int64_t> last_version;
    std::size_t seen = 0;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (seen < writers * per_writer && std::chrono::steady_clock::now() < deadline) {
        const bool writers_finished = done.load() == writers;
        for (const auto& r : reader.next_batch(50, cursor)) {
            cursor = r.position;
            ++seen;
            auto& last = last_version[r.aggregate_id];
            EXPECT_EQ(r.aggregate_version, last + 1) << r.aggregate_id << " skipped or reordered";
            last = r.aggregate_version;
        }
        if (writers_finished && reader.next_batch(1, cursor).empty()) break;
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(seen, static_cast<std::size_t>(writers * per_writer));
    EXPECT_TRUE(reader.next_batch(1, cursor).empty());
}
