// The handlers' schema (consumer_options::schema): created once, migrated step by step, in one
// transaction, never run twice at one version, refused when the database is newer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/consume/consumer.hpp>
#include <domain_events/consume/consumer_schema.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>

#include <stdexcept>
#include <vector>

#include "prefixed_config.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using ::testing::HasSubstr;

namespace {

class consumer_schema_test : public ::testing::Test {
protected:
    dt::temp_dir dir;
    std::string path = dir.file("consumer.db");

    [[nodiscard]] bool has_table(const std::string& name) {
        de::database db(path);
        return dt::scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'") == 1;
    }
};

TEST_F(consumer_schema_test, the_consumer_creates_the_handlers_tables_before_any_event_and_once_per_version) {
    auto settings = de::testing::prefixed_config();
    settings.bootstrap_servers = "127.0.0.1:1";  // never contacted: nothing runs
    de::consumer_options o;
    o.group_id = "g";
    o.event_types = {"order.placed"};
    o.database_path = path;
    // Not idempotent on purpose: run a second time at the same version, it would fail.
    o.schema = de::consumer_schema::script(1, "CREATE TABLE orders (id TEXT PRIMARY KEY); CREATE TABLE totals (n INTEGER)");
    { de::consumer first(settings, o); }
    EXPECT_TRUE(has_table("orders"));
    EXPECT_TRUE(has_table("totals"));
    EXPECT_NO_THROW(de::consumer second(settings, o));
}

TEST_F(consumer_schema_test, a_later_version_migrates_from_the_one_the_database_has) {
    de::database db(path);
    de::apply_consumer_schema(db, de::consumer_schema::script(1, "CREATE TABLE orders (id TEXT PRIMARY KEY)"));
    std::vector<int> migrated_from;
    const auto v3 = de::consumer_schema::steps(3, [&](de::database& d, int from) {
                                     migrated_from.push_back(from);
                                     if (from < 2) d.execute("ALTER TABLE orders ADD COLUMN total INTEGER");
                                     d.execute("CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY)");
                                 });
    de::apply_consumer_schema(db, v3);
    de::apply_consumer_schema(db, v3);
    EXPECT_EQ(migrated_from, std::vector<int>{1}) << "called once, with the version the database had";
    EXPECT_EQ(dt::scalar(db, "SELECT count(*) FROM pragma_table_info('orders') WHERE name = 'total'"), 1);
    EXPECT_EQ(dt::scalar(db, "SELECT version FROM domain_events_schema WHERE component = 'handlers'"), 3);
}

TEST_F(consumer_schema_test, a_failing_migration_leaves_the_database_as_it_was) {
    de::database db(path);
    const auto failing = de::consumer_schema::steps(1, [](de::database& d, int) {
                                          d.execute("CREATE TABLE orders (id TEXT PRIMARY KEY)");
                                          throw std::runtime_error("step two failed");
                                      });
    EXPECT_THROW(de::apply_consumer_schema(db, failing), std::runtime_error);
    EXPECT_FALSE(has_table("orders"));
    EXPECT_FALSE(has_table("domain_events_schema")) << "not even the version table is left";
}

TEST_F(consumer_schema_test, an_older_program_on_a_newer_database_is_refused_naming_both_versions) {
    de::database db(path);
    de::apply_consumer_schema(db, de::consumer_schema::script(2, "CREATE TABLE orders (id TEXT PRIMARY KEY)"));
    try {
        de::apply_consumer_schema(db, de::consumer_schema::script(1, "CREATE TABLE old (id TEXT)"));
        FAIL() << "an older schema was applied over a newer one";
    } catch (const de::usage_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("version 2, newer than this program's 1"));
    }
    EXPECT_FALSE(has_table("old"));
}

TEST_F(consumer_schema_test, a_schema_with_both_or_neither_of_sql_and_migrate_or_a_negative_version_is_refused) {
    de::database db(path);
    EXPECT_THROW(de::apply_consumer_schema(db, de::consumer_schema::script(1, "")), de::config_error);
    auto both = de::consumer_schema::script(1, "SELECT 1");
    both.migrate = [](de::database&, int) {};
    EXPECT_THROW(de::apply_consumer_schema(db, both), de::config_error);
    EXPECT_THROW(de::apply_consumer_schema(db, de::consumer_schema::script(-1, "SELECT 1")), de::config_error);
    EXPECT_NO_THROW(de::apply_consumer_schema(db, {}));  // version 0: no schema
}

}  // namespace
