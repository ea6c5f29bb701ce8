/** @file
 * Receivers' owners dying while other threads send (signal.hpp's lifetime promise): a disconnect
 * waits for the receiver's calls running elsewhere, and a tracked `shared_ptr` owner is kept alive
 * for the call. Meant to run under TSan too (scripts/test.sh's thread tier), which reports any
 * call that still touches a destroyed owner.
 */
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "domain_events/publish/signal.hpp"

namespace {

using namespace std::chrono_literals;
using domain_events::scoped_connection;
using int_signal = domain_events::signal<int>;

/** Which owners are alive, kept by the test so a receiver can tell it runs on a destroyed one. */
class liveness_registry {
public:
    void set_alive(int id, bool alive) {
        const std::lock_guard lock(mutex_);
        if (alive) {
            alive_.insert(id);
        } else {
            alive_.erase(id);
        }
    }
    [[nodiscard]] bool alive(int id) const {
        const std::lock_guard lock(mutex_);
        return alive_.contains(id);
    }

    std::atomic<int> calls_on_dead_owners{0};
    std::atomic<bool> receiver_entered{false};

private:
    mutable std::mutex mutex_;
    std::set<int> alive_;
};

/** Marks its owner alive from construction until its own destruction. */
class liveness_marker {
public:
    liveness_marker(liveness_registry& registry, int id) : registry_(registry), id_(id) { registry_.set_alive(id_, true); }
    ~liveness_marker() { registry_.set_alive(id_, false); }
    liveness_marker(const liveness_marker&) = delete;
    liveness_marker& operator=(const liveness_marker&) = delete;

    void check(std::chrono::microseconds pause) const {
        registry_.receiver_entered.store(true);
        std::this_thread::sleep_for(pause);  // a window for the owner to die in, were nothing waiting
        if (!registry_.alive(id_)) registry_.calls_on_dead_owners.fetch_add(1);
    }

private:
    liveness_registry& registry_;
    const int id_;
};

/** An owner whose member function is the receiver. */
class owner {
public:
    owner(liveness_registry& registry, int id, std::chrono::microseconds pause) : marker_(registry, id), pause_(pause) {}

    void on_event(int) {
        calls_.fetch_add(1);  // touches the owner's memory: TSan reports it if the owner was freed
        marker_.check(pause_);
    }

private:
    liveness_marker marker_;
    const std::chrono::microseconds pause_;
    std::atomic<int> calls_{0};

public:
    // Declared last, so destroyed first: disconnected before the rest of the owner goes.
    scoped_connection connection;
};

/** Waits until a receiver has begun, so the owner dies while it runs. */
void wait_for_entry(const liveness_registry& registry) {
    while (!registry.receiver_entered.load()) std::this_thread::yield();
}

TEST(signal_lifetime_test, disconnect_from_another_thread_waits_for_the_running_call) {
    int_signal sig;
    std::promise<void> release;
    std::atomic<bool> entered{false};
    const auto handle = sig.connect([&, released = release.get_future().share()](int) {
        entered.store(true);
        released.wait();
    });
    std::thread sender([&] { sig.send("patient", 1); });
    while (!entered.load()) std::this_thread::yield();
    auto disconnected = std::async(std::launch::async, [&] { return handle.disconnect(); });
    EXPECT_EQ(disconnected.wait_for(50ms), std::future_status::timeout);  // still waiting for the call
    EXPECT_FALSE(handle.connected());  // yet no new call can begin
    release.set_value();
    EXPECT_TRUE(disconnected.get());
    sender.join();
}

TEST(signal_lifetime_test, scoped_connection_keeps_the_owner_until_a_running_call_returns) {
    int_signal sig;
    liveness_registry registry;
    auto target = std::make_unique<owner>(registry, 1, 2ms);
    target->connection = scoped_connection(sig.connect(target.get(), &owner::on_event));
    std::thread sender([&] { sig.send("patient", 1); });
    wait_for_entry(registry);
    target.reset();  // runs while the receiver is inside its pause on the sender thread
    sender.join();
    EXPECT_EQ(registry.calls_on_dead_owners.load(), 0);
    EXPECT_EQ(sig.receiver_count(), 0U);
}

TEST(signal_lifetime_test, tracked_owner_is_kept_alive_by_a_running_call) {
    int_signal sig;
    liveness_registry registry;
    auto target = std::make_shared<owner>(registry, 1, 2ms);
    sig.connect(target, &owner::on_event);
    std::thread sender([&] { sig.send("patient", 1); });
    wait_for_entry(registry);
    const std::weak_ptr<owner> watcher = target;
    target.reset();  // the send still holds it
    sender.join();
    EXPECT_EQ(registry.calls_on_dead_owners.load(), 0);
    EXPECT_TRUE(watcher.expired());  // and the send let it go
    EXPECT_FALSE(sig.has_listeners("patient"));
}

TEST(signal_lifetime_test, tracked_owner_dying_on_the_sender_thread_disconnects_without_waiting_for_itself) {
    int_signal sig;
    liveness_registry registry;
    auto target = std::make_shared<owner>(registry, 1, 2ms);
    target->connection = scoped_connection(sig.connect(target, &owner::on_event));
    std::thread sender([&] { sig.send("patient", 1); });
    wait_for_entry(registry);
    const std::weak_ptr<owner> watcher = target;
    target.reset();  // the last reference is the send's: the owner dies, and disconnects, on its thread
    sender.join();   // would never return if that disconnect waited for the call it is part of
    EXPECT_TRUE(watcher.expired());
    EXPECT_EQ(sig.receiver_count(), 0U);
}

// Many owners of both kinds connect and die while two threads keep sending.
TEST(signal_lifetime_test, owners_dying_while_other_threads_send) {
    constexpr int owner_count = 300;
    int_signal sig;
    liveness_registry registry;
    std::atomic<bool> done{false};
    std::vector<std::thread> senders;
    for (int t = 0; t < 2; ++t) {
        senders.emplace_back([&] {
            while (!done.load()) sig.send("patient", 1);
        });
    }
    for (int id = 0; id < owner_count; ++id) {
        if (id % 2 == 0) {
            auto target = std::make_unique<owner>(registry, id, 20us);
            target->connection = scoped_connection(sig.connect(target.get(), &owner::on_event));
            std::this_thread::sleep_for(50us);
        } else {
            auto target = std::make_shared<owner>(registry, id, 20us);
            sig.connect(target, &owner::on_event);
            std::this_thread::sleep_for(50us);
        }
    }
    done.store(true);
    for (auto& sender : senders) sender.join();
    EXPECT_EQ(registry.calls_on_dead_owners.load(), 0);
    EXPECT_EQ(sig.receiver_count(), 0U);
}

}  // namespace
