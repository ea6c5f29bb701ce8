// Versions kept by the library: the publisher records each aggregate's last published version in
// the transaction of its event, gives the next one when asked, and refuses one out of order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/publish/model_writes.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publisher.hpp>

#include <stdexcept>

#include "prefixed_config.hpp"
#include "storage/outbox_schema.hpp"
#include "sql_scalar.hpp"
#include "old_outbox_rows.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;

namespace {

class publisher_versions : public ::testing::Test {
protected:
    de::testing::temp_dir dir_;
    std::string path_ = dir_.file("shop.db");
    de::database db_{path_};
    de::model_signals signals_;
    de::publisher publisher_{db_, signals_, de::testing::prefixed_config()};

    std::int64_t publish_next(const std::string& id) {
        return db_.atomic([&] { return publisher_.publish(db_, "order.paid", "order", id, {{"n", 1}}); })
            .aggregate_version;
    }
    std::int64_t outbox_rows() { return de::testing::scalar(db_, "SELECT count(*) FROM domain_events_outbox"); }
};

TEST_F(publisher_versions, without_a_version_each_aggregate_gets_its_next_one) {
    EXPECT_EQ(publish_next("o-1"), 1);
    EXPECT_EQ(publish_next("o-1"), 2);
    EXPECT_EQ(publish_next("o-2"), 1) << "versions are per aggregate";
    EXPECT_EQ(publish_next("o-1"), 3);
}

TEST_F(publisher_versions, a_version_that_is_not_the_next_is_refused_naming_both_and_nothing_is_written) {
    db_.atomic([&] { publisher_.publish(db_, "order.placed", "order", "o-1", 1, {{"n", 1}}); });
    for (const std::int64_t wrong : {1, 3}) {
        try {
            db_.atomic([&] { publisher_.publish(db_, "order.paid", "order", "o-1", wrong, {{"n", 1}}); });
            FAIL() << "version " << wrong << " was accepted after 1";
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "aggregate_version");
            EXPECT_THAT(e.what(), HasSubstr(std::to_string(wrong) + " is not the next version of order 'o-1'"));
            EXPECT_THAT(e.what(), HasSubstr("its last published is 1, so the next is 2"));
        }
    }
    EXPECT_EQ(outbox_rows(), 1);
    db_.atomic([&] { publisher_.publish(db_, "order.paid", "order", "o-1", 2, {{"n", 1}}); });
    EXPECT_EQ(outbox_rows(), 2);
}

TEST_F(publisher_versions, two_writers_of_one_aggregate_cannot_publish_the_same_version) {
    de::database other(path_);
    de::model_signals other_signals;
    de::publisher other_publisher(other, other_signals, de::testing::prefixed_config());
    db_.atomic([&] { publisher_.publish(db_, "order.placed", "order", "o-1", 1, {{"n", 1}}); });
    // The second writer read version 0 of its own row before the first wrote: it believes 1 is next.
    EXPECT_THROW(other.atomic([&] { other_publisher.publish(other, "order.placed", "order", "o-1", 1, {{"n", 2}}); }),
                 de::validation_error);
    EXPECT_EQ(other.atomic([&] { return other_publisher.publish(other, "order.paid", "order", "o-1", {{"n", 2}}); })
                  .aggregate_version,
              2);
}

TEST_F(publisher_versions, a_rolled_back_event_does_not_use_up_its_version) {
    EXPECT_THROW(db_.atomic([&] {
        publisher_.publish(db_, "order.placed", "order", "o-1", {{"n", 1}});
        throw std::runtime_error("payment declined");
    }),
                 std::runtime_error);
    EXPECT_EQ(publish_next("o-1"), 1);
}

TEST_F(publisher_versions, an_aggregate_not_seen_before_starts_at_any_version_then_goes_on_from_it) {
    db_.atomic([&] { publisher_.publish(db_, "order.paid", "order", "legacy", 7, {{"n", 1}}); });
    EXPECT_EQ(publish_next("legacy"), 8);
}

TEST_F(publisher_versions, models_without_a_version_of_their_own_get_the_next_on_save_and_delete) {
    const auto noop = [](de::model_change&) {};
    const auto saved = de::save_model(db_, signals_, {.model = "customer", .id = "c-1", .data = {{"tier", "gold"}}, .created = true}, noop);
    const auto deleted = de::delete_model(db_, signals_, {.model = "customer", .id = "c-1", .data = {{"tier", "gold"}}}, noop);
    auto batch = de::outbox(db_).next_batch(10);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(de::parse_event(batch[0].payload).aggregate_version, 1);
    EXPECT_EQ(de::parse_event(batch[1].payload).aggregate_version, 2);
    EXPECT_EQ(saved.version, 0) << "the change keeps what the caller gave";
    EXPECT_EQ(deleted.version, 0);
}

TEST_F(publisher_versions, versions_kept_by_the_application_are_neither_recorded_nor_checked_and_never_guessed) {
    auto settings = de::testing::prefixed_config();
    settings.versions_kept_by_application = {"patient"};
    de::model_signals own_signals;
    de::publisher own(db_, own_signals, settings);
    const auto table_rows = [&] {
        return de::testing::scalar(db_, "SELECT count(*) FROM domain_events_aggregate_versions");
    };
    db_.atomic([&] { own.publish(db_, "patient.created", "patient", "p-1", 1, {{"n", 1}}); });
    db_.atomic([&] { own.publish(db_, "patient.updated", "patient", "p-1", 5, {{"n", 1}}); });
    EXPECT_EQ(outbox_rows(), 2) << "the application's version column orders patient, not the library";
    EXPECT_EQ(table_rows(), 0) << "nothing written for an aggregate type the application versions";
    try {
        db_.atomic([&] { own.publish(db_, "patient.noted", "patient", "p-1", {{"n", 1}}); });
        FAIL() << "a version-less patient event was given a version the library cannot know";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "aggregate_version");
        EXPECT_THAT(e.what(), HasSubstr("versions of patient are kept by the application"));
    }
    db_.atomic([&] { own.publish(db_, "order.placed", "order", "o-1", 1, {{"n", 1}}); });
    EXPECT_THROW(db_.atomic([&] { own.publish(db_, "order.paid", "order", "o-1", 3, {{"n", 1}}); }), de::validation_error)
        << "other aggregate types are still kept by the library";
    EXPECT_EQ(table_rows(), 1);
}

TEST(publisher_versions_upgrade, an_outbox_of_schema_2_takes_each_aggregates_newest_retained_version) {
    de::testing::temp_dir dir;
    de::database db(dir.file("old.db"));
    de::detail::install_outbox_schema(db, 2);
    db.atomic([&] {
        for (const std::int64_t v : {3, 4}) {
            de::testing::append_before_schema_5(db, de::make_event("order.paid", "order", "o-9", v, {{"n", v}}));
        }
    });
    de::model_signals signals;
    de::publisher upgraded(db, signals, de::testing::prefixed_config());  // installs: migrates to the latest schema
    EXPECT_EQ(db.atomic([&] { return upgraded.publish(db, "order.shipped", "order", "o-9", {{"n", 5}}); }).aggregate_version, 5);
}

}  // namespace
