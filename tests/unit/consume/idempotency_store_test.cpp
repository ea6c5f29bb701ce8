#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/consume/idempotency_store.hpp>

#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;

TEST(idempotency_store, records_an_event_once_per_group) {
    de::testing::temp_dir dir;
    de::database db(dir.file("consumer.db"));
    de::idempotency_store audit(db, "audit");
    de::idempotency_store mail(db, "mail");
    EXPECT_TRUE(db.atomic([&] { return audit.record("e1", 100); }));
    EXPECT_FALSE(db.atomic([&] { return audit.record("e1", 200); }));
    EXPECT_TRUE(db.atomic([&] { return mail.record("e1", 200); }));  // another group applies it too
    EXPECT_TRUE(audit.contains("e1"));
    EXPECT_FALSE(audit.contains("e2"));
    EXPECT_EQ(audit.size(), 1);
}

TEST(idempotency_store, a_rolled_back_record_is_not_kept) {
    de::testing::temp_dir dir;
    de::database db(dir.file("consumer.db"));
    de::idempotency_store store(db, "g");
    {
        de::transaction tx(db);
        EXPECT_TRUE(store.record("e1", 1));
    }  // rolled back, as when the handler throws
    EXPECT_FALSE(store.contains("e1"));
    EXPECT_TRUE(db.atomic([&] { return store.record("e1", 1); }));
}

TEST(idempotency_store, refuses_to_record_outside_a_transaction_or_prune_inside_one) {
    de::testing::temp_dir dir;
    de::database db(dir.file("consumer.db"));
    de::idempotency_store store(db, "g");
    EXPECT_THROW(store.record("e1", 1), de::usage_error);
    EXPECT_THROW(store.sweep(10, 0), de::usage_error);
    de::transaction tx(db);
    EXPECT_THROW(store.sweep(10, 10), de::usage_error);
    EXPECT_THROW(de::idempotency_store(db, ""), de::usage_error);
}

TEST(idempotency_store, a_sweep_deletes_only_old_records_of_its_group_a_slice_at_a_time_and_wraps_around) {
    de::testing::temp_dir dir;
    de::database db(dir.file("consumer.db"));
    de::idempotency_store store(db, "g");
    de::idempotency_store other(db, "other");
    db.atomic([&] {
        for (int i = 10; i < 35; ++i) store.record("e" + std::to_string(i), 1'000);  // e10..e34, in key order
        store.record("e25-new", 5'000);                                                // between e25 and e26
        other.record("e10", 1'000);
    });
    const auto step = [&](std::size_t deleted, bool wrapped) {
        const auto s = store.sweep(2'000, 10);
        EXPECT_EQ(s.deleted, deleted);
        EXPECT_EQ(s.wrapped, wrapped);
    };
    step(10, false);  // e10..e19
    step(9, false);   // e20..e25, e25-new (kept), e26..e28
    step(6, true);    // e29..e34: the last record, so the next step starts at the first again
    EXPECT_EQ(store.size(), 1);
    db.atomic([&] { store.record("e00", 1'000); });  // before where the sweep stopped
    step(1, true);    // from the first: e00, e25-new
    EXPECT_TRUE(store.contains("e25-new"));
    EXPECT_EQ(store.size(), 1);
    EXPECT_TRUE(other.contains("e10"));  // another group's records are its own sweep's
}

TEST(idempotency_store, drops_the_age_index_an_earlier_version_made) {
    de::testing::temp_dir dir;
    de::database db(dir.file("consumer.db"));
    db.execute(
        "CREATE TABLE domain_events_consumed (group_id TEXT NOT NULL, event_id TEXT NOT NULL,"
        " consumed_at_ms INTEGER NOT NULL, PRIMARY KEY (group_id, event_id)) WITHOUT ROWID;"
        "CREATE INDEX domain_events_consumed_age ON domain_events_consumed (group_id, consumed_at_ms);"
        "INSERT INTO domain_events_consumed VALUES ('g', 'e1', 1000);");
    de::idempotency_store store(db, "g");
    EXPECT_EQ(de::testing::scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'domain_events_consumed_age'"), 0);
    EXPECT_TRUE(store.contains("e1"));  // the records stay
}
