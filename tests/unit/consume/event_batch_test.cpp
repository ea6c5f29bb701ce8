// The consumer's batch without Kafka: its events share one SQLite transaction, kept only once it
// commits; each partition's next offset is gathered for after the commit; a handler failure rolls
// the batch back, after which each event gets a savepoint that undoes only its own writes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/event.hpp>
#include <domain_events/consume/idempotency_store.hpp>

#include <map>
#include <stdexcept>
#include <string>

#include "consume/event_batch.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace dd = domain_events::detail;

namespace {

de::event event_numbered(int n) {
    auto e = de::make_event("patient.created", "patient", std::to_string(n), 1, {{"n", n}});
    e.event_id = "e" + std::to_string(n);
    return e;
}

class event_batch : public ::testing::Test {
protected:
    event_batch() { db.execute("CREATE TABLE effects (event_id TEXT NOT NULL)"); }

    // What another connection sees: only what was committed.
    std::int64_t committed_effects() {
        de::database other(dir.file("consumer.db"));
        return de::testing::scalar(other, "SELECT count(*) FROM effects");
    }
    std::int64_t effects_of(const std::string& event_id) {
        return de::testing::scalar(db, "SELECT count(*) FROM effects WHERE event_id = '" + event_id + "'");
    }

    // Applies event n (read at `at`) as the consumer does: an attempt, then added when it did not fail.
    std::optional<std::string> apply(int n, dd::message_position at, const de::event_handler& handler) {
        auto e = event_numbered(n);
        bool duplicate = false;
        auto failure = batch.attempt(at, e, handler, 0, duplicate);
        if (!failure) batch.add({nullptr, at, std::move(e), &handler, !duplicate});
        return failure;
    }

    de::testing::temp_dir dir;
    de::database db{dir.file("consumer.db")};
    de::idempotency_store store{db, "g"};
    dd::crash_journal journal{""};
    de::latency_histogram latency;
    dd::event_batch batch{db, store, journal, latency};
    std::map<std::string, int> runs;  // handler runs per event
    de::event_handler writes = [this](const de::event& e, de::database& d) {
        ++runs[e.event_id];
        d.execute("INSERT INTO effects VALUES ('" + e.event_id + "')");
    };
    // Writes, then throws for e2: a partial write the batch must undo.
    de::event_handler fails_on_e2 = [this](const de::event& e, de::database& d) {
        writes(e, d);
        if (e.event_id == "e2") throw std::runtime_error("no such patient");
    };
};

}  // namespace

TEST_F(event_batch, its_events_are_kept_only_once_it_commits_and_each_partition_gets_its_next_offset) {
    ASSERT_TRUE(batch.try_begin());
    EXPECT_FALSE(apply(1, {"t", 0, 5}, writes));
    EXPECT_FALSE(apply(2, {"t", 1, 9}, writes));
    EXPECT_FALSE(apply(3, {"t", 0, 6}, writes));
    EXPECT_EQ(committed_effects(), 0) << "nothing is committed before the batch is";
    const auto entries = batch.offsets().entries();
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].topic, "t");
    EXPECT_EQ(entries[0].partition, 0);
    EXPECT_EQ(entries[0].next_offset, 7) << "the next offset after the partition's last message";
    EXPECT_EQ(entries[1].partition, 1);
    EXPECT_EQ(entries[1].next_offset, 10);
    EXPECT_TRUE(batch.commit());
    EXPECT_EQ(committed_effects(), 3);
    EXPECT_EQ(batch.applied(), 3u);
    EXPECT_TRUE(store.contains("e1") && store.contains("e2") && store.contains("e3"));
    batch.clear();
    EXPECT_FALSE(batch.open());
    EXPECT_TRUE(batch.offsets().empty());
}

TEST_F(event_batch, a_recorded_event_runs_no_handler_and_a_batch_of_duplicates_commits_nothing) {
    ASSERT_TRUE(db.atomic([&] { return store.record("e1", 1); }));
    ASSERT_TRUE(batch.try_begin());
    EXPECT_FALSE(apply(1, {"t", 0, 3}, writes));
    EXPECT_EQ(runs["e1"], 0);
    EXPECT_EQ(batch.duplicates(), 1u);
    EXPECT_EQ(batch.applied(), 0u);
    EXPECT_FALSE(batch.commit()) << "only duplicates: rolled back, nothing to keep";
    ASSERT_EQ(batch.offsets().entries().size(), 1u) << "its offset is still stored";
    EXPECT_EQ(batch.offsets().entries()[0].next_offset, 4);
}

TEST_F(event_batch, the_same_event_twice_in_one_batch_is_applied_once) {
    ASSERT_TRUE(batch.try_begin());
    EXPECT_FALSE(apply(1, {"t", 0, 0}, writes));
    EXPECT_FALSE(apply(1, {"t", 0, 1}, writes));
    EXPECT_EQ(runs["e1"], 1);
    EXPECT_EQ(batch.applied(), 1u);
    EXPECT_EQ(batch.duplicates(), 1u);
}

TEST_F(event_batch, a_failure_outside_a_savepoint_rolls_the_batch_back_and_returns_its_events_to_apply_again) {
    ASSERT_TRUE(batch.try_begin());
    EXPECT_FALSE(apply(1, {"t", 0, 0}, fails_on_e2));
    const auto failure = apply(2, {"t", 0, 1}, fails_on_e2);
    ASSERT_TRUE(failure);
    EXPECT_EQ(*failure, "no such patient");
    EXPECT_FALSE(batch.in_savepoints());
    const auto earlier = batch.roll_back_for_savepoints();
    ASSERT_EQ(earlier.size(), 1u);
    EXPECT_EQ(earlier[0].parsed->event_id, "e1");
    EXPECT_EQ(earlier[0].at.offset, 0);
    EXPECT_FALSE(batch.open());
    EXPECT_TRUE(batch.offsets().empty()) << "none of its offsets may be stored";
    EXPECT_TRUE(batch.in_savepoints());
    EXPECT_EQ(effects_of("e1") + effects_of("e2"), 0) << "the partial writes are gone";
    EXPECT_FALSE(store.contains("e1"));
}

TEST_F(event_batch, in_savepoints_a_failing_event_undoes_only_its_own_writes_and_record) {
    ASSERT_TRUE(batch.try_begin());
    ASSERT_TRUE(apply(2, {"t", 0, 1}, fails_on_e2));
    static_cast<void>(batch.roll_back_for_savepoints());
    ASSERT_TRUE(batch.try_begin());
    EXPECT_FALSE(apply(1, {"t", 0, 0}, fails_on_e2));
    EXPECT_TRUE(apply(2, {"t", 0, 1}, fails_on_e2));
    EXPECT_FALSE(apply(3, {"t", 0, 2}, fails_on_e2));
    EXPECT_TRUE(batch.commit());
    EXPECT_EQ(effects_of("e1"), 1);
    EXPECT_EQ(effects_of("e2"), 0);
    EXPECT_EQ(effects_of("e3"), 1);
    EXPECT_FALSE(store.contains("e2")) << "its record went with its writes: it is applied when it comes again";
    batch.clear();
    EXPECT_TRUE(batch.in_savepoints()) << "until the loop ends the batch";
    batch.end_savepoints();
    EXPECT_FALSE(batch.in_savepoints());
}

TEST_F(event_batch, our_own_databases_fault_propagates_while_a_handlers_storage_error_is_the_events) {
    ASSERT_TRUE(batch.try_begin());
    const de::event_handler disk_full = [](const de::event&, de::database&) {
        throw de::storage_error("database or disk is full", SQLITE_FULL);
    };
    EXPECT_THROW(static_cast<void>(apply(1, {"t", 0, 0}, disk_full)), de::storage_error);
    const de::event_handler constraint = [](const de::event&, de::database&) {
        throw de::storage_error("UNIQUE constraint failed: patients.id", SQLITE_CONSTRAINT_UNIQUE);
    };
    const auto failure = apply(2, {"t", 0, 1}, constraint);
    ASSERT_TRUE(failure);
    EXPECT_EQ(*failure, "UNIQUE constraint failed: patients.id");
}

TEST_F(event_batch, try_begin_says_when_another_writer_holds_the_lock) {
    de::database fast(de::database_options{.path = dir.file("consumer.db"), .busy_timeout = std::chrono::milliseconds{1}});
    de::idempotency_store fast_store(fast, "g");
    dd::event_batch waiting(fast, fast_store, journal, latency);
    {
        de::transaction holder(db);  // BEGIN IMMEDIATE on another connection
        EXPECT_FALSE(waiting.try_begin());
        EXPECT_FALSE(waiting.in_transaction());
    }
    EXPECT_TRUE(waiting.try_begin());
    EXPECT_TRUE(waiting.in_transaction());
}

TEST_F(event_batch, is_due_at_max_events_or_once_max_delay_passed_since_it_opened) {
    const auto now = dd::event_batch::clock::now();
    EXPECT_FALSE(batch.due(now, 1, std::chrono::hours{0})) << "nothing open";
    batch.add({nullptr, {"t", 0, 0}, std::nullopt, nullptr, false});  // a skipped message
    batch.add({nullptr, {"t", 0, 1}, std::nullopt, nullptr, false});
    EXPECT_TRUE(batch.due(now, 2, std::chrono::hours{1}));
    EXPECT_FALSE(batch.due(now, 3, std::chrono::hours{1}));
    EXPECT_TRUE(batch.due(now + std::chrono::hours{2}, 3, std::chrono::hours{1}));
    EXPECT_FALSE(batch.commit()) << "skipped messages only: no transaction";
    EXPECT_EQ(batch.offsets().entries()[0].next_offset, 2);
}
