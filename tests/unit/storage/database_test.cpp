#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "temp_dir.hpp"

namespace de = domain_events;

namespace {

std::string pragma_text(de::database& db, const std::string& name) {
    auto q = db.prepare("PRAGMA " + name);
    EXPECT_TRUE(q->step());
    return q->column_text(0);
}

}  // namespace

TEST(database, opens_in_wal_with_foreign_keys_and_the_chosen_synchronous_level) {
    de::testing::temp_dir dir;
    de::database db(de::database_options{.path = dir.file("a.db"), .synchronous = de::synchronous_mode::full});
    EXPECT_EQ(pragma_text(db, "journal_mode"), "wal");
    EXPECT_EQ(pragma_text(db, "foreign_keys"), "1");
    EXPECT_EQ(pragma_text(db, "synchronous"), "2");  // FULL

    de::database normal(dir.file("b.db"));
    EXPECT_EQ(pragma_text(normal, "synchronous"), "1");  // NORMAL is the default
}

TEST(database, prepare_reuses_the_cached_statement_reset_and_unbound_once_a_use_ends) {
    de::testing::temp_dir dir;
    de::database db(dir.file("a.db"));
    const de::statement* cached = nullptr;
    {
        auto first = db.prepare("SELECT ?");
        first->bind_all(std::int64_t{42});
        ASSERT_TRUE(first->step());
        cached = &*first;
    }
    auto second = db.prepare("SELECT ?");
    EXPECT_EQ(cached, &*second);
    ASSERT_TRUE(second->step());
    EXPECT_TRUE(second->column_is_null(0)) << "bindings must be cleared between uses";
}

TEST(database, a_second_use_of_a_statement_still_in_use_is_refused_and_the_first_keeps_its_rows) {
    de::testing::temp_dir dir;
    de::database db(dir.file("a.db"));
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
    auto rows = db.prepare("SELECT id FROM t ORDER BY id");
    ASSERT_TRUE(rows->step());
    try {
        auto again = db.prepare("SELECT id FROM t ORDER BY id");
        FAIL() << "expected usage_error";
    } catch (const de::usage_error& e) {
        EXPECT_NE(std::string(e.what()).find("SELECT id FROM t ORDER BY id"), std::string::npos) << e.what();
    }
    EXPECT_EQ(rows->column_int64(0), 1);
    ASSERT_TRUE(rows->step()) << "the refused use must not have reset the first one's rows";
    EXPECT_EQ(rows->column_int64(0), 2);
}

// A statement left mid-result keeps its connection's read snapshot: a later query on the same
// connection would not see other connections' commits. The use's end (here by an exception)
// must end that read.
TEST(database, a_use_left_mid_result_by_an_exception_ends_its_read) {
    de::testing::temp_dir dir;
    de::database reader(dir.file("a.db"));
    de::database writer(dir.file("a.db"));
    reader.execute("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
    try {
        auto rows = reader.prepare("SELECT id FROM t");
        ASSERT_TRUE(rows->step());
        throw std::runtime_error("the caller gives up after the first row");
    } catch (const std::runtime_error&) {
    }
    writer.execute("INSERT INTO t VALUES (3)");
    auto count = reader.prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count->step());
    EXPECT_EQ(count->column_int64(0), 3) << "the reader still saw its old snapshot";
}

TEST(database, errors_name_the_sql_and_the_file) {
    de::testing::temp_dir dir;
    const auto path = dir.file("a.db");
    de::database db(path);
    try {
        auto refused = db.prepare("SELECT * FROM no_such_table");
        FAIL() << "expected storage_error";
    } catch (const de::storage_error& e) {
        EXPECT_NE(std::string(e.what()).find("no such table: no_such_table"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_EQ(e.sqlite_code(), SQLITE_ERROR);
    }
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    db.execute("INSERT INTO t VALUES (1)");
    try {
        db.prepare("INSERT INTO t VALUES (?)")->bind_all(std::int64_t{1}).run();
        FAIL() << "expected storage_error";
    } catch (const de::storage_error& e) {
        EXPECT_EQ(e.sqlite_code(), SQLITE_CONSTRAINT_PRIMARYKEY);
        EXPECT_NE(std::string(e.what()).find("INSERT INTO t VALUES (?)"), std::string::npos) << e.what();
    }
}

TEST(database, a_new_file_and_its_wal_are_private_to_the_owner_and_an_existing_file_keeps_its_mode) {
    de::testing::temp_dir dir;
    namespace fs = std::filesystem;
    const auto path = dir.file("private.db");
    {
        de::database db(path);
        db.execute("CREATE TABLE t (national_id TEXT); INSERT INTO t VALUES ('X1')");
        EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
        ASSERT_TRUE(fs::exists(path + "-wal"));
        EXPECT_EQ(fs::status(path + "-wal").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    }
    const auto shared = dir.file("shared.db");
    { de::database created(shared); }
    fs::permissions(shared, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    { de::database reopened(shared); }
    EXPECT_EQ(fs::status(shared).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST(database, read_only_open_never_creates_a_missing_file) {
    de::testing::temp_dir dir;
    const auto path = dir.file("missing.db");
    EXPECT_THROW(de::database(de::database_options{.path = path, .read_only = true}), de::storage_error);
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(database, data_version_changes_when_another_connection_commits) {
    de::testing::temp_dir dir;
    de::database reader(dir.file("a.db"));
    de::database writer(dir.file("a.db"));
    writer.execute("CREATE TABLE t (v INTEGER)");
    const auto before = reader.data_version();
    EXPECT_EQ(reader.data_version(), before) << "nothing committed in between";
    writer.execute("INSERT INTO t VALUES (1)");
    EXPECT_NE(reader.data_version(), before);
}

// The busy handler: a writer waits for another connection's write lock up to busy_timeout and
// no longer, then fails naming SQLite's busy error; a lock released in time is taken.
TEST(database, a_writer_waits_for_the_lock_until_busy_timeout_then_fails) {
    de::testing::temp_dir dir;
    de::database holder(dir.file("a.db"));
    holder.execute("CREATE TABLE t (v INTEGER)");
    de::database waiter(de::database_options{.path = dir.file("a.db"), .busy_timeout = std::chrono::milliseconds{200}});
    de::transaction held(holder);
    const auto started = std::chrono::steady_clock::now();
    try {
        waiter.execute("INSERT INTO t VALUES (1)");
        FAIL() << "expected storage_error while the other connection holds the write lock";
    } catch (const de::storage_error& e) {
        EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
    }
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds{200});
}

TEST(database, a_writer_gets_the_lock_released_within_busy_timeout) {
    de::testing::temp_dir dir;
    de::database holder(dir.file("a.db"));
    holder.execute("CREATE TABLE t (v INTEGER)");
    de::database waiter(dir.file("a.db"));
    auto held = std::make_unique<de::transaction>(holder);
    holder.execute("INSERT INTO t VALUES (1)");
    std::thread releases([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        held->commit();
    });
    waiter.execute("INSERT INTO t VALUES (2)");  // waits for the commit, well within the default 5 s
    releases.join();
    auto count = waiter.prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count->step());
    EXPECT_EQ(count->column_int64(0), 2);
}
