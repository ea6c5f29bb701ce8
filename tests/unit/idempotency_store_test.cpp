#include <gtest/gtest.h>

#include <domain_events/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/idempotency_store.hpp>

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
    de::transaction tx(db);
    EXPECT_THROW(store.prune_before(10, 10), de::usage_error);
    EXPECT_THROW(de::idempotency_store(db, ""), de::usage_error);
}

TEST(idempotency_store, prunes_only_old_records_of_its_group_in_bounded_batches) {
    de::testing::temp_dir dir;
    de::database db(dir.file("consumer.db"));
    de::idempotency_store store(db, "g");
    de::idempotency_store other(db, "other");
    db.atomic([&] {
        for (int i = 0; i < 25; ++i) store.record("old-" + std::to_string(i), 1'000);
        store.record("new", 5'000);
        other.record("old-0", 1'000);
    });
    EXPECT_EQ(store.prune_before(2'000, 10), 10u);
    EXPECT_EQ(store.prune_before(2'000, 100), 15u);
    EXPECT_EQ(store.prune_before(2'000, 100), 0u);
    EXPECT_TRUE(store.contains("new"));
    EXPECT_EQ(store.size(), 1);
    EXPECT_TRUE(other.contains("old-0"));
}
