// Bulk writes emit too: one event per row, in one transaction, or nothing at all.
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/publish/model_writes.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publisher.hpp>

#include <thread>

#include "prefixed_config.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

std::vector<de::model_change> widgets(int n) {
    std::vector<de::model_change> changes;
    for (int i = 0; i < n; ++i) changes.push_back({.model = "widget", .data = {{"n", i}}});
    return changes;
}

struct insert_widget {
    de::database& db;
    int fail_at = -1;
    void operator()(de::model_change& c) const {
        const auto n = c.data.at("n").get<int>();
        if (n == fail_at) throw std::runtime_error("row " + std::to_string(n) + " failed");
        db.prepare("INSERT INTO widget (n) VALUES (?)")->bind_all(n).run();
        c.id = std::to_string(db.last_insert_rowid());
        c.version = 1;
        c.created = true;
    }
};

class model_writes_test : public ::testing::Test {
protected:
    void SetUp() override { db_.execute("CREATE TABLE widget (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"); }

    de::testing::temp_dir dir_;
    de::database db_{dir_.file("app.db")};
    de::model_signals signals_;
    de::publisher publisher_{db_, signals_, de::testing::prefixed_config()};
};

}  // namespace

TEST_F(model_writes_test, a_bulk_save_records_one_event_per_row) {
    const auto saved = de::save_models(db_, signals_, widgets(100), insert_widget{db_});
    ASSERT_EQ(saved.size(), 100u);
    const auto batch = de::outbox(db_).next_batch(1000);
    ASSERT_EQ(batch.size(), 100u);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        EXPECT_EQ(batch[i].aggregate_id, saved[i].id);
        EXPECT_EQ(batch[i].event_type, "widget.created");
    }
}

TEST_F(model_writes_test, a_bulk_save_failing_midway_writes_no_row_and_no_event) {
    EXPECT_THROW(de::save_models(db_, signals_, widgets(100), insert_widget{db_, 50}), std::runtime_error);
    EXPECT_EQ(de::testing::scalar(db_, "SELECT count(*) FROM widget"), 0);
    EXPECT_EQ(de::testing::scalar(db_, "SELECT count(*) FROM domain_events_outbox"), 0);
}

TEST_F(model_writes_test, pre_save_sees_the_change_before_the_write_and_can_veto_it) {
    auto veto = signals_.pre_save.connect(
        [](de::database& db, const de::model_change&) {
            if (de::testing::scalar(db, "SELECT count(*) FROM widget") >= 2) throw std::runtime_error("quota reached");
        },
        {.sender = "widget", .dispatch_uid = std::nullopt});
    de::save_models(db_, signals_, widgets(2), insert_widget{db_});
    EXPECT_THROW(de::save_models(db_, signals_, widgets(1), insert_widget{db_}), std::runtime_error);
    EXPECT_EQ(de::testing::scalar(db_, "SELECT count(*) FROM widget"), 2);
    EXPECT_EQ(de::testing::scalar(db_, "SELECT count(*) FROM domain_events_outbox"), 2);
}

// Two writers, each on its own connection, for a bounded time: every committed row has exactly
// one event, and each aggregate's events are in commit (version) order.
TEST_F(model_writes_test, concurrent_writers_get_exactly_one_event_per_committed_row) {
    db_.execute("CREATE TABLE counter (id TEXT PRIMARY KEY, version INTEGER NOT NULL)");
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    auto writer = [&](const std::string& name) {
        de::database db(dir_.file("app.db"));
        for (int i = 1; i <= 100000 && std::chrono::steady_clock::now() < deadline; ++i) {
            de::model_change change{.model = "counter", .id = name};
            de::save_model(db, signals_, change, [&](de::model_change& c) {
                db.prepare("INSERT INTO counter (id, version) VALUES (?, 1) "
                           "ON CONFLICT (id) DO UPDATE SET version = version + 1")
                    ->bind_all(name)
                    .run();
                auto v = db.prepare("SELECT version FROM counter WHERE id = ?");
                v->bind_all(name);
                v->step();
                c.version = v->column_int64(0);
                c.created = c.version == 1;
                c.data = {{"version", c.version}};
            });
        }
    };
    std::thread a(writer, "a"), b(writer, "b");
    a.join();
    b.join();

    std::map<std::string, std::int64_t> last;
    std::int64_t events = 0;
    std::int64_t cursor = 0;
    de::outbox box(db_);
    for (auto batch = box.next_batch(5000); !batch.empty(); batch = box.next_batch(5000, cursor)) {
        for (const auto& r : batch) {
            EXPECT_EQ(r.aggregate_version, last[r.aggregate_id] + 1) << r.aggregate_id;
            last[r.aggregate_id] = r.aggregate_version;
            cursor = r.position;
            ++events;
        }
    }
    EXPECT_EQ(events, de::testing::scalar(db_, "SELECT sum(version) FROM counter"));
    EXPECT_GT(last["a"], 0);
    EXPECT_GT(last["b"], 0);
}
