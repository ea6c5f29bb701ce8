// group_commit::post: work queued without waiting, told its outcome only after the shared
// COMMIT (or its failure), sharing transactions with `run` callers, finished by the destructor.
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/storage/group_commit.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <latch>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "group_commit_fixture.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;
using de::testing::group_commit_test;

namespace {

// What each posted write was told, by name: whether its row was visible to another connection
// at that moment (committed), and the failure's text, if any.
struct told {
    std::mutex mutex;
    std::map<std::string, std::pair<std::int64_t, std::string>> outcomes;
    std::atomic<int> count{0};

    [[nodiscard]] bool all(int expected) const { return count.load() >= expected; }
};

class group_commit_post_test : public group_commit_test {
protected:
    // Posts an insert of `name` (which throws after inserting when `fails`); its completion
    // records what it saw.
    void post_insert(de::group_commit& group, told& into, const std::string& name, bool fails = false) {
        group.post(
            [name, fails](de::database& db) {
                insert(db, name);
                if (fails) throw std::runtime_error(name + " fails");
            },
            [this, &into, name](std::exception_ptr failure) {
                std::string why;
                try {
                    if (failure) std::rethrow_exception(failure);
                } catch (const std::exception& e) {
                    why = e.what();
                }
                const auto seen = committed(name);
                std::lock_guard lock(into.mutex);
                into.outcomes[name] = {seen, why};
                ++into.count;
            });
    }
};

TEST_F(group_commit_post_test, posted_work_is_told_only_once_its_transaction_has_committed) {
    de::group_commit group({.path = path()}, {.max_batch = 100, .max_delay = 200us});
    told outcomes;
    for (int i = 0; i < 20; ++i) post_insert(group, outcomes, "p-" + std::to_string(i));
    ASSERT_TRUE(de::testing::eventually([&] { return outcomes.all(20); }, 10s, 1ms));
    for (const auto& [name, outcome] : outcomes.outcomes) {
        EXPECT_EQ(outcome.first, 1) << name << " was told before its row was committed";
        EXPECT_EQ(outcome.second, "") << name;
    }
    EXPECT_EQ(group.counters().committed, 20u);
}

// Posted while a `run` caller holds the connection, they wait together and then share one
// transaction, in the order posted; the one that throws loses its row alone and is told why.
TEST_F(group_commit_post_test, posts_queued_together_share_one_transaction_and_a_failing_one_loses_only_its_own) {
    de::group_commit group({.path = path()}, {.max_batch = 100});
    told outcomes;
    std::latch head_running(1);
    std::jthread head([&] {
        group.run([&](de::database& db) {
            head_running.count_down();
            insert(db, "head");
            ASSERT_TRUE(de::testing::eventually([&] { return group.waiting() >= 4; }, 10s, 1ms));
        });
    });
    head_running.wait();
    post_insert(group, outcomes, "a");
    post_insert(group, outcomes, "b", true);
    post_insert(group, outcomes, "c");
    post_insert(group, outcomes, "d");
    head.join();
    ASSERT_TRUE(de::testing::eventually([&] { return outcomes.all(4); }, 10s, 1ms));
    EXPECT_EQ(outcomes.outcomes.at("a"), (std::pair<std::int64_t, std::string>{1, ""}));
    EXPECT_EQ(outcomes.outcomes.at("b"), (std::pair<std::int64_t, std::string>{0, "b fails"}));
    EXPECT_EQ(outcomes.outcomes.at("d"), (std::pair<std::int64_t, std::string>{1, ""}));
    const auto c = group.counters();
    EXPECT_EQ(c.transactions, 2u) << "the head's, then one for the four posted behind it";
    EXPECT_EQ(c.largest, 3u);
    EXPECT_EQ(c.rolled_back, 1u);
}

TEST_F(group_commit_post_test, on_commit_callbacks_of_posted_work_run_after_the_commit_and_before_it_is_told) {
    de::group_commit group({.path = path()});
    std::atomic<int> callback_saw_row{-1};
    std::atomic<bool> callback_ran_first{false};
    std::atomic<bool> done{false};
    group.post(
        [&](de::database& db) {
            insert(db, "x");
            db.on_commit([&] { callback_saw_row = static_cast<int>(committed("x")); });
        },
        [&](std::exception_ptr) {
            callback_ran_first = callback_saw_row.load() != -1;
            done = true;
        });
    ASSERT_TRUE(de::testing::eventually([&] { return done.load(); }, 10s, 1ms));
    EXPECT_EQ(callback_saw_row.load(), 1);
    EXPECT_TRUE(callback_ran_first.load());
}

// What a completion throws is the caller's bug, not the write's: counted, the work committed,
// and the group goes on serving.
TEST_F(group_commit_post_test, a_completion_that_throws_is_counted_and_its_work_stays_committed) {
    de::group_commit group({.path = path()});
    std::atomic<bool> thrown{false};
    group.post([](de::database& db) { insert(db, "kept"); }, [&](std::exception_ptr) {
        thrown = true;
        throw std::runtime_error("the completion's own bug");
    });
    ASSERT_TRUE(de::testing::eventually([&] { return thrown.load(); }, 10s, 1ms));
    group.run([](de::database& db) { insert(db, "after"); });
    EXPECT_EQ(committed("kept"), 1);
    EXPECT_EQ(committed("after"), 1);
    // Counted once the leading thread is back from its completions: maybe after `thrown` is seen.
    EXPECT_TRUE(de::testing::eventually([&] { return group.counters().completion_errors == 1; }, 10s, 1ms))
        << group.counters().completion_errors;
}

TEST_F(group_commit_post_test, the_destructor_finishes_every_posted_write_and_tells_each) {
    told outcomes;
    constexpr int posts = 300;
    {
        de::group_commit group({.path = path()}, {.max_batch = 16});
        for (int i = 0; i < posts; ++i) post_insert(group, outcomes, "d-" + std::to_string(i));
    }
    EXPECT_EQ(outcomes.count.load(), posts) << "the group was destroyed with posted work untold";
    for (const auto& [name, outcome] : outcomes.outcomes) EXPECT_EQ(outcome.first, 1) << name;
}

// Threads mixing run and post: every write acknowledged is committed, none that failed.
TEST_F(group_commit_post_test, run_and_post_from_many_threads_keep_every_acknowledged_write) {
    told outcomes;
    std::atomic<int> ran_ok{0};
    {
        de::group_commit group({.path = path()}, {.max_batch = 8, .max_delay = 300us});
        std::vector<std::jthread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 50; ++i) {
                    const auto name = std::to_string(t) + "-" + std::to_string(i);
                    if (t % 2 == 0) {
                        post_insert(group, outcomes, "post-" + name, i % 9 == 4);
                    } else {
                        group.run([&](de::database& db) { insert(db, "run-" + name); });
                        ++ran_ok;
                    }
                }
            });
        }
    }
    ASSERT_EQ(outcomes.count.load(), 100);
    for (const auto& [name, outcome] : outcomes.outcomes) {
        EXPECT_EQ(outcome.first, outcome.second.empty() ? 1 : 0) << name << ": " << outcome.second;
    }
    EXPECT_EQ(ran_ok.load(), 100);
}

// On the group's own thread a `run` would wait for the thread that must lead it: refused, and the
// group goes on serving.
TEST_F(group_commit_post_test, a_completion_calling_run_on_the_groups_thread_is_refused) {
    de::group_commit group({.path = path()});
    std::atomic<int> refused{0};
    std::atomic<bool> done{false};
    group.post([](de::database& db) { insert(db, "first"); }, [&](std::exception_ptr) {
        try {
            group.run([](de::database& db) { insert(db, "nested"); });
        } catch (const de::usage_error&) {
            ++refused;
        }
        done = true;
    });
    ASSERT_TRUE(de::testing::eventually([&] { return done.load(); }, 10s, 1ms));
    EXPECT_EQ(refused.load(), 1);
    group.run([](de::database& db) { insert(db, "after"); });
    EXPECT_EQ(committed("first") + committed("after"), 2);
    EXPECT_EQ(committed("nested"), 0);
}

TEST_F(group_commit_post_test, a_body_posting_to_its_own_group_is_refused) {
    de::group_commit group({.path = path()});
    EXPECT_THROW(group.run([&](de::database&) { group.post([](de::database&) {}, [](std::exception_ptr) {}); }),
                 de::usage_error);
    EXPECT_THROW(group.post({}, [](std::exception_ptr) {}), de::usage_error);
}

}  // namespace
