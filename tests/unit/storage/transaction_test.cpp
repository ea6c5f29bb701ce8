// Transactions: Django's atomic semantics, savepoints, on_commit, and crash safety.
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;

namespace {

class transaction_test : public ::testing::Test {
protected:
    void SetUp() override { db_.execute("CREATE TABLE item (name TEXT NOT NULL)"); }

    void insert(const std::string& name) { db_.prepare("INSERT INTO item (name) VALUES (?)")->bind_all(name).run(); }

    std::int64_t count() { return de::testing::scalar(db_, "SELECT count(*) FROM item"); }

    de::testing::temp_dir dir_;
    de::database db_{dir_.file("t.db")};
};

}  // namespace

TEST_F(transaction_test, commit_keeps_the_writes_and_runs_on_commit_once) {
    int calls = 0;
    {
        de::transaction tx(db_);
        insert("a");
        db_.on_commit([&] { ++calls; });
        EXPECT_EQ(calls, 0) << "must wait for the commit";
        tx.commit();
    }
    EXPECT_EQ(count(), 1);
    EXPECT_EQ(calls, 1);
}

TEST_F(transaction_test, a_scope_left_without_commit_rolls_back_and_drops_on_commit) {
    int calls = 0;
    {
        de::transaction tx(db_);
        insert("a");
        db_.on_commit([&] { ++calls; });
    }
    EXPECT_EQ(count(), 0);
    EXPECT_EQ(calls, 0);
    EXPECT_FALSE(db_.in_transaction());
}

TEST_F(transaction_test, atomic_rolls_back_when_the_body_throws) {
    int calls = 0;
    EXPECT_THROW(db_.atomic([&] {
        insert("a");
        db_.on_commit([&] { ++calls; });
        throw std::runtime_error("after the write");
    }),
                 std::runtime_error);
    EXPECT_EQ(count(), 0);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(db_.atomic([&] { insert("b"); return 7; }), 7);
    EXPECT_EQ(count(), 1);
}

TEST_F(transaction_test, a_nested_rollback_removes_only_the_inner_writes_and_callbacks) {
    std::vector<std::string> ran;
    {
        de::transaction outer(db_);
        insert("outer");
        db_.on_commit([&] { ran.push_back("outer"); });
        {
            de::transaction inner(db_);
            EXPECT_EQ(db_.transaction_depth(), 2);
            insert("inner");
            db_.on_commit([&] { ran.push_back("inner"); });
        }  // rolled back
        {
            de::transaction kept(db_);
            insert("kept");
            db_.on_commit([&] { ran.push_back("kept"); });
            kept.commit();
        }
        EXPECT_TRUE(ran.empty()) << "released savepoints still wait for the outermost commit";
        outer.commit();
    }
    EXPECT_EQ(count(), 2);
    EXPECT_EQ(ran, (std::vector<std::string>{"outer", "kept"}));
}

TEST_F(transaction_test, outer_rollback_discards_committed_savepoints) {
    int calls = 0;
    {
        de::transaction outer(db_);
        db_.atomic([&] {
            insert("inner");
            db_.on_commit([&] { ++calls; });
        });
    }
    EXPECT_EQ(count(), 0);
    EXPECT_EQ(calls, 0);
}

TEST_F(transaction_test, on_commit_outside_a_transaction_runs_at_once) {
    int calls = 0;
    db_.on_commit([&] { ++calls; });
    EXPECT_EQ(calls, 1);
}

TEST_F(transaction_test, on_commit_dedupe_key_runs_one_callback_per_commit) {
    int calls = 0;
    db_.atomic([&] {
        for (int i = 0; i < 5; ++i) db_.on_commit([&] { ++calls; }, "wake");
    });
    EXPECT_EQ(calls, 1);
    db_.atomic([&] { db_.on_commit([&] { ++calls; }, "wake"); });
    EXPECT_EQ(calls, 2) << "the key is per transaction";
}

TEST_F(transaction_test, a_deduplicated_callback_survives_the_rollback_of_a_later_savepoint) {
    int calls = 0;
    db_.atomic([&] {
        {
            de::transaction inner(db_);
            db_.on_commit([&] { ++calls; }, "wake");
        }  // rolled back: its callback is gone, so the next registration must not be skipped
        db_.on_commit([&] { ++calls; }, "wake");
    });
    EXPECT_EQ(calls, 1);
}

TEST_F(transaction_test, every_on_commit_callback_runs_even_if_one_throws_and_the_data_stays) {
    int calls = 0;
    de::transaction tx(db_);
    insert("a");
    db_.on_commit([] { throw std::runtime_error("first"); });
    db_.on_commit([&] { ++calls; });
    EXPECT_THROW(tx.commit(), std::runtime_error);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(count(), 1);
}

TEST_F(transaction_test, committing_an_outer_scope_while_an_inner_one_is_open_is_refused) {
    de::transaction outer(db_);
    de::transaction inner(db_);
    EXPECT_THROW(outer.commit(), de::usage_error);
    inner.commit();
    outer.commit();
}

TEST_F(transaction_test, a_crash_before_commit_leaves_nothing_after_reopening) {
    const auto path = dir_.file("t.db");
    const pid_t child = ::fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
        de::database db(path);
        de::transaction tx(db);
        db.prepare("INSERT INTO item (name) VALUES ('crashed')")->run();
        ::_exit(0);  // dies inside the transaction: no commit, no destructor
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    de::database reopened(path);
    EXPECT_EQ(de::testing::scalar(reopened, "SELECT count(*) FROM item"), 0);
}

// A single-row SELECT stepped once and never reset pins a read snapshot; after another connection
// commits, BEGIN IMMEDIATE on that stale snapshot would fail at once with SQLITE_BUSY_SNAPSHOT.
TEST_F(transaction_test, a_half_read_statement_does_not_block_the_next_transaction) {
    de::database other(dir_.file("t.db"));
    insert("a");
    auto q = db_.prepare("SELECT name FROM item");
    ASSERT_TRUE(q->step());  // left mid-result on purpose
    other.prepare("INSERT INTO item (name) VALUES ('b')")->run();
    EXPECT_NO_THROW(db_.atomic([&] { insert("c"); }));
    EXPECT_EQ(count(), 3);
}
