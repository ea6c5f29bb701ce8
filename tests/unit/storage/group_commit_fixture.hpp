#pragma once
// The group-commit tests' fixture: a table, a reader on its own connection (what it sees is
// committed), and `queue_behind`, which lines callers up behind a head holding the connection.
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/storage/group_commit.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "temp_dir.hpp"

namespace domain_events::testing {

namespace de = domain_events;
using namespace std::chrono_literals;

// So long that a caller waiting for it would time the test out: only the rules under test
// (nobody queued, a full batch) may close a transaction.
inline constexpr std::chrono::microseconds forever = std::chrono::hours{1};

class group_commit_test : public ::testing::Test {
protected:
    void SetUp() override { reader_.execute("CREATE TABLE item (name TEXT NOT NULL)"); }

    static void insert(de::database& db, const std::string& name) {
        db.prepare("INSERT INTO item (name) VALUES (?)")->bind_all(name).run();
    }
    // Read through another connection: what it sees is committed. Callers' on_commit callbacks
    // run on their own threads at once, and a connection is for one thread at a time.
    std::int64_t committed(const std::string& name) {
        std::lock_guard lock(reader_mutex_);
        auto q = reader_.prepare("SELECT count(*) FROM item WHERE name = ?");
        q->bind_all(name);
        q->step();
        const auto n = q->column_int64(0);
        return n;
    }
    std::string path() const { return dir_.file("g.db"); }

    // `head` runs alone and holds the connection until the others wait behind it, queued in
    // the order given (each starts once the one before is queued), so that they meet in the
    // next transaction in that order; each runs on a thread of its own.
    template <class Head, class... Others>
    static void queue_behind(de::group_commit& group, Head head, Others... others) {
        std::latch head_running(1);
        std::atomic<bool> all_queued{false};
        std::jthread first([&] {
            group.run([&](de::database& db) {
                head_running.count_down();
                head(db);
                if (!de::testing::eventually([&] { return all_queued.load(); }, 10s, 1ms)) {
                    throw std::runtime_error("the other callers never queued");
                }
            });
        });
        head_running.wait();
        std::vector<std::jthread> rest;
        const auto start = [&](auto body) {
            rest.emplace_back([&group, body] {
                try {
                    group.run(body);
                } catch (const std::runtime_error&) {  // the caller meant to fail
                }
            });
            const auto position = rest.size();
            if (!de::testing::eventually([&] { return group.waiting() >= position; }, 10s, 1ms)) {
                throw std::runtime_error("a caller never queued");
            }
        };
        (start(others), ...);
        all_queued = true;
        first.join();
        for (auto& t : rest) t.join();
    }

    de::testing::temp_dir dir_;
    de::database reader_{dir_.file("g.db")};
    std::mutex reader_mutex_;
};

}  // namespace domain_events::testing
