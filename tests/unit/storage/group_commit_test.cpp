// Group commit: callers share one SQLite transaction, each in a savepoint; a failing caller
// loses only its own work, every caller returns after the shared COMMIT, commit order holds.
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/storage/group_commit.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publish_scope.hpp>
#include <domain_events/publish/publisher.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <latch>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "group_commit_fixture.hpp"
#include "prefixed_config.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

using de::testing::forever;
using de::testing::group_commit_test;

TEST_F(group_commit_test, a_caller_alone_commits_at_once_in_a_transaction_of_its_own) {
    de::group_commit group({.path = path()}, {.max_batch = 100, .max_delay = forever});
    for (int i = 0; i < 5; ++i) {
        const auto name = "alone-" + std::to_string(i);
        group.run([&](de::database& db) { insert(db, name); });
        EXPECT_EQ(committed(name), 1) << "run() returned before its write was committed";
    }
    const auto c = group.counters();
    EXPECT_EQ(c.transactions, 5u);
    EXPECT_EQ(c.committed, 5u);
    EXPECT_EQ(c.largest, 1u);
}

TEST_F(group_commit_test, callers_queued_together_share_one_transaction_and_a_throwing_one_loses_only_its_own) {
    de::group_commit group({.path = path()}, {.max_batch = 100});
    std::atomic<int> callbacks_seeing_their_row{0};
    const auto writer = [&](std::string name) {
        return [&, name](de::database& db) {
            insert(db, name);
            db.on_commit([&, name] { callbacks_seeing_their_row += static_cast<int>(committed(name)); });
        };
    };
    queue_behind(group, writer("head"), writer("b"),
                 [&](de::database& db) {
                     insert(db, "c");
                     db.on_commit([&] { callbacks_seeing_their_row += 100; });
                     throw std::runtime_error("c fails");
                 },
                 writer("d"));
    EXPECT_EQ(committed("head") + committed("b") + committed("d"), 3);
    EXPECT_EQ(committed("c"), 0) << "the failing caller's savepoint must be rolled back";
    EXPECT_EQ(callbacks_seeing_their_row.load(), 3) << "each on_commit runs after the shared COMMIT, a failed caller's never";
    const auto c = group.counters();
    EXPECT_EQ(c.transactions, 2u) << "the head's, then one for the three queued behind it";
    EXPECT_EQ(c.committed, 3u);
    EXPECT_EQ(c.rolled_back, 1u);
    EXPECT_EQ(c.largest, 2u);
}

TEST_F(group_commit_test, a_full_transaction_commits_without_waiting_for_the_delay) {
    de::group_commit group({.path = path()}, {.max_batch = 2, .max_delay = forever});
    const auto writer = [&](std::string name) { return [name](de::database& db) { insert(db, name); }; };
    queue_behind(group, writer("head"), writer("b"), writer("c"), writer("d"), writer("e"));
    for (const char* name : {"head", "b", "c", "d", "e"}) EXPECT_EQ(committed(name), 1) << name;
    const auto c = group.counters();
    EXPECT_EQ(c.transactions, 3u) << "the head's, then two full ones";
    EXPECT_EQ(c.largest, 2u);
}

// The head's transaction runs while b queues; b leads the next one, and the head, back at once
// with its next write, must find it still open: a leader waits (up to max_delay, 10 s here) for
// as many callers as the last transaction held plus those queued during it, instead of
// committing alone while the callers it just released are on their way back.
TEST_F(group_commit_test, a_leader_waits_for_the_callers_the_last_transaction_released) {
    de::group_commit group({.path = path()}, {.max_batch = 8, .max_delay = 10s});
    std::latch head_released(1);
    std::jthread again([&] {
        head_released.wait();
        group.run([&](de::database& db) { insert(db, "head again"); });
    });
    queue_behind(group, [&](de::database& db) {
        insert(db, "head");
        db.on_commit([&] { head_released.count_down(); });
    }, [&](de::database& db) { insert(db, "b"); });
    again.join();
    for (const char* name : {"head", "b", "head again"}) EXPECT_EQ(committed(name), 1) << name;
    const auto c = group.counters();
    EXPECT_EQ(c.transactions, 2u) << "b committed alone instead of waiting for the head to come back";
    EXPECT_EQ(c.largest, 2u);
}

TEST_F(group_commit_test, a_body_calling_run_of_its_own_group_is_refused) {
    de::group_commit group({.path = path()});
    EXPECT_THROW(group.run([&](de::database&) { group.run([](de::database&) {}); }), de::usage_error);
    group.run([&](de::database& db) { insert(db, "after"); });
    EXPECT_EQ(committed("after"), 1);
}

// SQLite would checkpoint inside the COMMIT that crosses the threshold, holding every caller of
// that transaction; the group's own thread does it instead, and the rows reach the file.
TEST_F(group_commit_test, a_growing_wal_is_checkpointed_by_the_groups_own_thread) {
    const auto file_before = std::filesystem::file_size(path());
    de::group_commit group({.path = path()}, {.checkpoint_pages = 8});
    for (int i = 0; i < 100; ++i) group.run([&](de::database& db) { insert(db, std::string(2000, 'x') + std::to_string(i)); });
    // The last COMMIT asks for one more checkpoint, which copies every row into the file (the
    // count goes up once the checkpoint has returned, maybe after the file has grown).
    EXPECT_TRUE(de::testing::eventually(
        [&] { return std::filesystem::file_size(path()) >= file_before + 100 * 2000 && group.counters().checkpoints > 0; },
        10s, 1ms))
        << "the WAL's rows never reached the database file: " << std::filesystem::file_size(path()) << " bytes, "
        << group.counters().checkpoints << " checkpoints";
}

TEST_F(group_commit_test, bad_options_are_refused) {
    EXPECT_THROW((de::group_commit{{.path = path()}, {.max_batch = 0}}), de::config_error);
    EXPECT_THROW((de::group_commit{{.path = path()}, {.max_delay = std::chrono::microseconds{-1}}}), de::config_error);
    EXPECT_THROW((de::group_commit{{.path = path()}, {.checkpoint_pages = -1}}), de::config_error);
}

TEST_F(group_commit_test, a_process_killed_before_the_shared_commit_leaves_nothing_of_its_transaction) {
    const pid_t child = ::fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
        de::group_commit group({.path = path()}, {.max_batch = 100});
        // "b" is released into the transaction after the head's and waits for its COMMIT; "c"
        // dies before anyone commits it: nothing of either may be in the file, the head is.
        queue_behind(group, [](de::database& db) { insert(db, "head"); },
                     [](de::database& db) { insert(db, "b"); },
                     [](de::database& db) {
                         insert(db, "c");
                         ::_exit(0);
                     });
        ::_exit(1);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(committed("head"), 1);
    EXPECT_EQ(committed("b"), 0) << "a caller's work released into the transaction but never committed survived";
    EXPECT_EQ(committed("c"), 0);
}

// Many threads, some failing: every caller that returned has its row, none that threw; and the
// outbox's positions follow the order the bodies ran (their commit order).
TEST_F(group_commit_test, many_threads_keep_every_acknowledged_write_in_the_order_the_bodies_ran) {
    de::model_signals signals;
    de::publisher events(reader_, signals, de::testing::prefixed_config());
    de::group_commit group({.path = path()}, {.max_batch = 16, .max_delay = 500us});
    constexpr int threads = 8;
    constexpr int per_thread = 150;
    std::atomic<std::int64_t> acknowledged{0};
    std::int64_t ran = 0;  // written inside bodies only, which run one at a time
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                try {
                    group.run([&](de::database& db) {
                        const auto order = ++ran;
                        events.publish(db, "item.created", "item", std::to_string(t * per_thread + i),
                                       {{"order", order}});
                        if (i % 7 == 3) throw std::runtime_error("this caller fails");
                    });
                    ++acknowledged;
                } catch (const std::runtime_error&) {
                }
            }
        });
    }
    for (auto& w : writers) w.join();
    auto batch = de::outbox(reader_).next_batch(10'000);
    ASSERT_EQ(static_cast<std::int64_t>(batch.size()), acknowledged.load());
    std::int64_t previous = 0;
    for (const auto& record : batch) {
        const auto order = de::parse_event(record.payload).data.at("order").get<std::int64_t>();
        EXPECT_GT(order, previous) << "position " << record.position << " committed out of the bodies' order";
        previous = order;
    }
    const auto c = group.counters();
    EXPECT_EQ(static_cast<std::int64_t>(c.committed), acknowledged.load());
    EXPECT_EQ(c.committed + c.rolled_back, static_cast<std::uint64_t>(threads * per_thread));
    EXPECT_EQ(c.failed, 0u);
}

}  // namespace

// A body run by another caller's thread publishes under its own caller's publish scope, and
// nothing of the leader's leaks into it.
TEST_F(group_commit_test, a_body_run_by_another_callers_thread_publishes_under_its_own_callers_scope) {
    de::database setup(path());
    de::model_signals signals;
    const auto settings = de::testing::prefixed_config("gc");
    de::publisher events(setup, signals, settings);
    de::group_commit group({.path = path()}, {.max_batch = 100});
    const auto publish = [&](const std::string& id) {
        return [&events, id](de::database& db) {
            (void)events.publish(db, "item.made", "item", id, {{"n", 1}});
        };
    };
    const auto run_in_scope = [&](de::publish_context context, const std::string& id) {
        return [&group, context, body = publish(id)] {
            const de::publish_scope scope(context);
            group.run(body);
        };
    };
    // The leader's own scope holds a correlation id, a causation id and a trace; the second
    // caller's only a correlation id; the third has none.
    const de::publish_context leaders{.correlation_id = "leader", .causation_id = "leader-cause",
                                      .traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
    std::latch head_running(1);
    std::atomic<bool> all_queued{false};
    std::jthread first([&] {
        const de::publish_scope scope(leaders);
        group.run([&](de::database& db) {
            head_running.count_down();
            publish("a-1")(db);
            ASSERT_TRUE(de::testing::eventually([&] { return all_queued.load(); }, 10s, 1ms));
        });
    });
    head_running.wait();
    std::jthread second(run_in_scope({.correlation_id = "second"}, "a-2"));
    ASSERT_TRUE(de::testing::eventually([&] { return group.waiting() >= 1; }, 10s, 1ms));
    std::jthread third([&] { group.run(publish("a-3")); });
    ASSERT_TRUE(de::testing::eventually([&] { return group.waiting() >= 2; }, 10s, 1ms));
    // The second caller leads the next transaction inside its own scope: none of its values
    // may reach the third caller's event, which it runs on its thread.
    all_queued = true;
    first.join();
    second.join();
    third.join();
    ASSERT_EQ(group.counters().largest, 2u) << "the second and third callers did not share a transaction";

    de::outbox box(reader_);
    std::map<std::string, de::outbox_record> rows;
    for (auto& row : box.next_batch(10)) rows.emplace(row.aggregate_id, row);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows.at("a-1").correlation_id, "leader");
    EXPECT_EQ(rows.at("a-2").correlation_id, "second");
    EXPECT_EQ(rows.at("a-3").correlation_id, std::nullopt);
    EXPECT_EQ(rows.at("a-2").traceparent, std::nullopt);
    EXPECT_EQ(rows.at("a-3").traceparent, std::nullopt);
}
