// The publisher turns model signals into outbox rows in the writer's transaction.
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/publish/model_writes.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publisher.hpp>

#include "prefixed_config.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;

namespace {

class publisher_test : public ::testing::Test {
protected:
    void SetUp() override {
        db_.execute("CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL)");
    }

    // A minimal repository write: insert or update, bumping the version column.
    de::model_change save(std::optional<std::int64_t> id, const std::string& name) {
        de::model_change change{.model = "patient", .data = {{"name", name}}};
        return de::save_model(db_, signals_, change, [&](de::model_change& c) {
            if (id) {
                db_.prepare("UPDATE patient SET name = ?, version = version + 1 WHERE id = ?")->bind_all(name, *id).run();
                c.id = std::to_string(*id);
                c.changed_fields = {"name"};
            } else {
                db_.prepare("INSERT INTO patient (name, version) VALUES (?, 1)")->bind_all(name).run();
                c.id = std::to_string(db_.last_insert_rowid());
                c.created = true;
            }
            auto v = db_.prepare("SELECT version FROM patient WHERE id = ?");
            v->bind_all(std::stoll(c.id));
            v->step();
            c.version = v->column_int64(0);
        });
    }

    std::vector<de::event> events() {
        std::vector<de::event> out;
        for (const auto& r : de::outbox(db_).next_batch(1000)) out.push_back(de::parse_event(r.payload));
        return out;
    }

    std::int64_t patients() { return de::testing::scalar(db_, "SELECT count(*) FROM patient"); }

    de::testing::temp_dir dir_;
    de::database db_{dir_.file("app.db")};
    de::model_signals signals_;
    de::config settings_ = de::testing::prefixed_config();
    de::publisher publisher_{db_, signals_, settings_};
};

}  // namespace

TEST_F(publisher_test, create_update_delete_record_their_events_with_the_envelope) {
    const auto created = save(std::nullopt, "John Doe");
    save(std::stoll(created.id), "Jane Doe");
    de::delete_model(db_, signals_, de::model_change{.model = "patient", .id = created.id, .version = 3},
                     [&](de::model_change&) {
                         db_.prepare("DELETE FROM patient WHERE id = ?")->bind_all(std::stoll(created.id)).run();
                     });

    const auto all = events();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].event_type, "patient.created");
    EXPECT_EQ(all[0].aggregate_type, "patient");
    EXPECT_EQ(all[0].aggregate_id, created.id);
    EXPECT_EQ(all[0].aggregate_version, 1);
    EXPECT_EQ(all[0].data, (nlohmann::json{{"name", "John Doe"}}));
    EXPECT_EQ(all[0].metadata.source, settings_.source);

    EXPECT_EQ(all[1].event_type, "patient.updated");
    EXPECT_EQ(all[1].aggregate_version, 2);
    EXPECT_EQ(all[1].data, (nlohmann::json{{"name", "Jane Doe"}, {"changed_fields", {"name"}}}));

    EXPECT_EQ(all[2].event_type, "patient.deleted");
    EXPECT_EQ(all[2].aggregate_version, 3);
}

TEST_F(publisher_test, a_receiver_that_throws_rolls_back_the_row_and_its_event) {
    auto failing = signals_.post_save.connect(
        [](de::database&, const de::model_change&) { throw std::runtime_error("audit receiver failed"); });
    EXPECT_THROW(save(std::nullopt, "John Doe"), std::runtime_error);
    EXPECT_EQ(patients(), 0);
    EXPECT_TRUE(events().empty());
    failing.disconnect();
    save(std::nullopt, "John Doe");
    EXPECT_EQ(patients(), 1);
    EXPECT_EQ(events().size(), 1u);
}

TEST_F(publisher_test, an_exception_after_the_save_in_the_same_transaction_leaves_neither) {
    EXPECT_THROW(db_.atomic([&] {
        save(std::nullopt, "John Doe");
        throw std::runtime_error("later step of the same unit of work failed");
    }),
                 std::runtime_error);
    EXPECT_EQ(patients(), 0);
    EXPECT_TRUE(events().empty());
}

TEST_F(publisher_test, an_event_refused_by_validation_leaves_neither_row_nor_event) {
    de::model_change change{.model = "patient", .data = {{"name", "x"}, {"password", "hunter2"}}};
    EXPECT_THROW(de::save_model(db_, signals_, change,
                                [&](de::model_change& c) {
                                    db_.prepare("INSERT INTO patient (name, version) VALUES ('x', 1)")->run();
                                    c.id = "1";
                                    c.version = 1;
                                    c.created = true;
                                }),
                 de::validation_error);
    EXPECT_EQ(patients(), 0);
    EXPECT_TRUE(events().empty());
}

TEST_F(publisher_test, manual_publish_needs_a_transaction_and_commits_with_it) {
    EXPECT_THROW(publisher_.publish(db_, "appointment.booked", "appointment", "9", 1, {{"doctor", "Dr. Who"}}),
                 de::usage_error);
    {
        de::transaction tx(db_);
        publisher_.publish(db_, "appointment.booked", "appointment", "9", 1, {{"doctor", "Dr. Who"}},
                           de::publish_context{.correlation_id = "req-1", .causation_id = std::nullopt});
    }  // rolled back
    EXPECT_TRUE(events().empty());
    const auto written = db_.atomic([&] {
        return publisher_.publish(db_, "appointment.booked", "appointment", "9", 1, {{"doctor", "Dr. Who"}},
                                  de::publish_context{.correlation_id = "req-1", .causation_id = std::nullopt});
    });
    const auto all = events();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0], written);
    EXPECT_EQ(all[0].metadata.correlation_id, "req-1");
    EXPECT_EQ(de::outbox(db_).next_batch(1).at(0).correlation_id, "req-1");
}

TEST_F(publisher_test, events_committed_fires_once_per_committing_transaction_and_never_on_rollback) {
    int wakes = 0;
    de::scoped_connection wake(publisher_.events_committed().connect([&] { ++wakes; }));
    db_.atomic([&] {
        save(std::nullopt, "a");
        save(std::nullopt, "b");
        EXPECT_EQ(wakes, 0) << "before commit the relay would find nothing";
    });
    EXPECT_EQ(wakes, 1);
    {
        de::transaction tx(db_);
        save(std::nullopt, "c");
    }
    EXPECT_EQ(wakes, 1);
}

TEST_F(publisher_test, a_second_publisher_on_the_same_signals_does_not_record_twice) {
    de::publisher again(db_, signals_, settings_);
    save(std::nullopt, "John Doe");
    EXPECT_EQ(events().size(), 1u);
}

TEST_F(publisher_test, a_topic_name_over_kafkas_limit_is_refused_before_anything_is_written) {
    const std::string long_type = "patient." + std::string(260, 'a');
    try {
        db_.atomic([&] { publisher_.publish(db_, long_type, "patient", "1", 1, nlohmann::json::object()); });
        FAIL() << "expected validation_error";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "event_type");
    }
    EXPECT_TRUE(events().empty());
}

TEST_F(publisher_test, an_invalid_config_is_refused) {
    auto bad = de::testing::prefixed_config();
    bad.topic_prefix = "bad prefix!";
    EXPECT_THROW(de::publisher(db_, signals_, bad), de::config_error);
}
