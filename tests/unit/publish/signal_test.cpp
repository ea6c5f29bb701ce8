/** @file Tests for signal.hpp (dispatch, connections, errors, threads) and model_signals.hpp. */
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "domain_events/error.hpp"
#include "domain_events/publish/model_signals.hpp"
#include "domain_events/publish/signal.hpp"

namespace {

using domain_events::connect_options;
using domain_events::connection;
using domain_events::scoped_connection;
using int_signal = domain_events::signal<int>;

/** A receiver that appends its tag to a shared log, to check who ran and in what order. */
auto logger(std::vector<std::string>& log, std::string tag) {
    return [&log, tag = std::move(tag)](int) { log.push_back(tag); };
}

TEST(signal_test, sender_filter_runs_only_matching_receivers) {
    int_signal sig;
    std::vector<std::string> log;
    sig.connect(logger(log, "patient"), {.sender = "patient"});
    sig.connect(logger(log, "any"));
    sig.connect(logger(log, "doctor"), {.sender = "doctor"});
    sig.send("patient", 1);
    EXPECT_EQ(log, (std::vector<std::string>{"patient", "any"}));
    log.clear();
    sig.send("invoice", 1);
    EXPECT_EQ(log, (std::vector<std::string>{"any"}));
}

TEST(signal_test, dispatch_uid_twice_keeps_the_first_receiver) {
    int_signal sig;
    std::vector<std::string> log;
    const connection first = sig.connect(logger(log, "first"), {.dispatch_uid = "audit"});
    const connection second = sig.connect(logger(log, "second"), {.dispatch_uid = "audit"});
    EXPECT_EQ(sig.receiver_count(), 1U);
    sig.send("patient", 1);
    EXPECT_EQ(log, (std::vector<std::string>{"first"}));
    // The second handle refers to the surviving receiver, so it can disconnect it.
    EXPECT_TRUE(second.disconnect());
    EXPECT_FALSE(first.connected());
    EXPECT_EQ(sig.receiver_count(), 0U);
}

TEST(signal_test, disconnect_by_dispatch_uid_frees_the_uid) {
    int_signal sig;
    std::vector<std::string> log;
    sig.connect(logger(log, "old"), {.dispatch_uid = "audit"});
    sig.connect(logger(log, "other"));
    EXPECT_TRUE(sig.disconnect("audit"));
    EXPECT_FALSE(sig.disconnect("audit"));
    EXPECT_FALSE(sig.disconnect("never-connected"));
    sig.connect(logger(log, "new"), {.dispatch_uid = "audit"});
    sig.send("patient", 1);
    EXPECT_EQ(log, (std::vector<std::string>{"other", "new"}));
}

TEST(signal_test, dispatch_uid_is_unique_per_sender) {
    int_signal sig;
    std::vector<std::string> log;
    sig.connect(logger(log, "patient"), {.sender = "patient", .dispatch_uid = "audit"});
    sig.connect(logger(log, "doctor"), {.sender = "doctor", .dispatch_uid = "audit"});
    sig.connect(logger(log, "dropped"), {.sender = "doctor", .dispatch_uid = "audit"});
    EXPECT_EQ(sig.receiver_count(), 2U);
    sig.send("doctor", 1);
    EXPECT_EQ(log, (std::vector<std::string>{"doctor"}));
    EXPECT_FALSE(sig.disconnect("audit"));  // none is connected for every sender under it
    EXPECT_TRUE(sig.disconnect("audit", "doctor"));
    EXPECT_EQ(sig.receiver_count(), 1U);
}

void count_call(int& calls) { ++calls; }

TEST(signal_test, a_function_is_one_receiver_per_sender_however_often_connected) {
    domain_events::signal<int&> sig;
    const connection first = sig.connect(count_call);
    EXPECT_EQ(sig.connect(count_call), first);
    sig.connect(count_call, {.sender = "patient"});  // another sender: another registration
    EXPECT_EQ(sig.receiver_count(), 2U);
    int calls = 0;
    sig.send("patient", calls);
    EXPECT_EQ(calls, 2);
    // Lambdas have no identity: each connect is a receiver of its own.
    sig.connect([](int&) {});
    sig.connect([](int&) {});
    EXPECT_EQ(sig.receiver_count(), 4U);
    EXPECT_TRUE(sig.disconnect(count_call));
    EXPECT_FALSE(sig.disconnect(count_call));
    EXPECT_TRUE(sig.disconnect(count_call, "patient"));
    EXPECT_EQ(sig.receiver_count(), 2U);
}

TEST(signal_test, a_receiver_may_take_the_sender) {
    int_signal sig;
    std::vector<std::string> senders;
    sig.connect([&](std::string_view sender, int) { senders.emplace_back(sender); });
    sig.send("patient", 1);
    sig.send("doctor", 1);
    EXPECT_EQ(senders, (std::vector<std::string>{"patient", "doctor"}));
    domain_events::signal<int(int)> doubling;
    doubling.connect([](std::string_view sender, int value) { return sender == "patient" ? 2 * value : 0; });
    EXPECT_EQ(doubling.send("patient", 21).at(0).value, 42);
}

TEST(signal_test, connect_rejects_empty_receiver_sender_and_uid) {
    int_signal sig;
    const auto field_of = [&](int_signal::receiver fn, connect_options options) {
        try {
            sig.connect(std::move(fn), std::move(options));
        } catch (const domain_events::validation_error& e) {
            return e.field();
        }
        return std::string("no error");
    };
    EXPECT_EQ(field_of(nullptr, {}), "receiver");
    EXPECT_EQ(field_of([](int) {}, {.sender = ""}), "sender");
    EXPECT_EQ(field_of([](int) {}, {.dispatch_uid = ""}), "dispatch_uid");
    EXPECT_EQ(sig.receiver_count(), 0U);
}

TEST(signal_test, connection_disconnect_is_shared_by_copies_and_checks_the_signal) {
    int_signal sig;
    int calls = 0;
    const connection handle = sig.connect([&](int) { ++calls; });
    const connection copy = handle;  // NOLINT(performance-unnecessary-copy-initialization): copies are the point
    int_signal other;
    EXPECT_FALSE(other.disconnect(copy));  // a handle of another signal is left alone
    EXPECT_TRUE(copy.connected());
    EXPECT_TRUE(sig.disconnect(handle));
    EXPECT_FALSE(copy.connected());
    EXPECT_FALSE(copy.disconnect());
    sig.send("patient", 1);
    EXPECT_EQ(calls, 0);
    EXPECT_FALSE(connection{}.connected());
    EXPECT_FALSE(connection{}.disconnect());
}

TEST(signal_test, scoped_connection_disconnects_when_it_dies) {
    int_signal sig;
    int calls = 0;
    {
        const scoped_connection scoped{sig.connect([&](int) { ++calls; })};
        sig.send("patient", 1);
        EXPECT_TRUE(scoped.connected());
    }
    sig.send("patient", 1);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(sig.receiver_count(), 0U);
}

TEST(signal_test, scoped_connection_moves_and_releases_ownership) {
    int_signal sig;
    scoped_connection target;
    {
        scoped_connection source{sig.connect([](int) {})};
        scoped_connection middle{std::move(source)};
        target = std::move(middle);
    }  // the moved-from source and middle die here and must not disconnect
    EXPECT_TRUE(target.connected());
    EXPECT_EQ(sig.receiver_count(), 1U);
    // Assigning over a live scoped_connection disconnects what it held.
    target = scoped_connection{sig.connect([](int) {})};
    EXPECT_EQ(sig.receiver_count(), 1U);
    // release() hands the receiver back: the emptied scoped_connection no longer disconnects it.
    const connection released = target.release();
    EXPECT_FALSE(target.connected());
    { scoped_connection emptied = std::move(target); }
    EXPECT_TRUE(released.connected());
    static_assert(!std::is_copy_constructible_v<scoped_connection>);
    static_assert(!std::is_convertible_v<connection, scoped_connection>);
}

TEST(signal_test, send_propagates_the_first_exception_and_stops) {
    int_signal sig;
    std::vector<std::string> log;
    sig.connect(logger(log, "before"));
    sig.connect([](int) { throw std::runtime_error("first"); });
    sig.connect([](int) { throw std::logic_error("second"); });
    sig.connect(logger(log, "after"));
    EXPECT_THROW(sig.send("patient", 1), std::runtime_error);
    EXPECT_EQ(log, (std::vector<std::string>{"before"}));
}

TEST(signal_test, send_robust_runs_all_and_reports_each_error) {
    int_signal sig;
    std::vector<std::string> log;
    sig.connect(logger(log, "ok"));
    const connection audit = sig.connect([](int) { throw std::runtime_error("boom"); }, {.dispatch_uid = "audit"});
    sig.connect(logger(log, "doctor-only"), {.sender = "doctor"});
    sig.connect([](int) { throw 42; });
    const auto errors = sig.send_robust("patient", 1);
    EXPECT_EQ(log, (std::vector<std::string>{"ok"}));
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0].receiver_index, 1U);
    EXPECT_EQ(errors[0].dispatch_uid, "audit");
    EXPECT_EQ(errors[0].what, "boom");
    EXPECT_EQ(errors[0].receiver, audit);
    EXPECT_THROW(std::rethrow_exception(errors[0].error), std::runtime_error);
    // The index counts every receiver in connection order, including ones filtered out by sender.
    EXPECT_EQ(errors[1].receiver_index, 3U);
    EXPECT_FALSE(errors[1].dispatch_uid.has_value());
    EXPECT_EQ(errors[1].what, "unknown exception");
    EXPECT_THROW(std::rethrow_exception(errors[1].error), int);
    EXPECT_EQ(sig.send_robust("doctor", 1).size(), 2U);
}

TEST(signal_test, receiver_connected_during_send_runs_from_the_next_send) {
    int_signal sig;
    int late_calls = 0;
    bool connected_once = false;
    sig.connect([&](int) {
        if (connected_once) return;
        connected_once = true;
        sig.connect([&](int) { ++late_calls; });
    });
    sig.send("patient", 1);
    EXPECT_EQ(late_calls, 0);
    EXPECT_EQ(sig.receiver_count(), 2U);
    sig.send("patient", 1);
    EXPECT_EQ(late_calls, 1);
}

TEST(signal_test, receiver_disconnected_during_send_is_not_called_later_in_it) {
    int_signal sig;
    int victim_calls = 0;
    connection victim;
    sig.connect([&](int) { victim.disconnect(); });
    victim = sig.connect([&](int) { ++victim_calls; });
    sig.send("patient", 1);
    EXPECT_EQ(victim_calls, 0);
    EXPECT_EQ(sig.receiver_count(), 1U);
}

TEST(signal_test, receiver_can_disconnect_itself) {
    int_signal sig;
    int once_calls = 0;
    int other_calls = 0;
    auto self = std::make_shared<connection>();
    *self = sig.connect([&once_calls, self_ref = std::weak_ptr<connection>(self)](int) {
        ++once_calls;
        self_ref.lock()->disconnect();
    });
    sig.connect([&](int) { ++other_calls; });
    sig.send("patient", 1);
    sig.send("patient", 1);
    EXPECT_EQ(once_calls, 1);
    EXPECT_EQ(other_calls, 2);
}

TEST(signal_test, connection_outliving_its_signal_is_a_safe_no_op) {
    connection handle;
    scoped_connection scoped;
    {
        int_signal sig;
        handle = sig.connect([](int) {});
        scoped = scoped_connection{sig.connect([](int) {})};
        EXPECT_TRUE(handle.connected());
    }
    EXPECT_FALSE(handle.connected());
    EXPECT_FALSE(handle.disconnect());
    EXPECT_FALSE(scoped.connected());
}  // scoped dies after the signal: its disconnect must be a no-op too

TEST(signal_test, concurrent_connect_disconnect_and_send_stay_consistent) {
    constexpr int thread_count = 4;
    constexpr int iterations = 2000;
    int_signal sig;
    std::atomic<int> persistent_calls{0};
    sig.connect([&](int) { persistent_calls.fetch_add(1, std::memory_order_relaxed); });
    std::vector<std::atomic<int>> own_calls(thread_count);
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            const std::string sender = "thread-" + std::to_string(t);
            for (int i = 0; i < iterations; ++i) {
                // Heard only by this thread's own sends, and connected around each of them: exact count.
                const scoped_connection own{sig.connect(
                    [&own_calls, t](int) { own_calls[t].fetch_add(1, std::memory_order_relaxed); },
                    {.sender = sender})};
                const connection shared = sig.connect([](int) {}, {.dispatch_uid = "shared"});
                if (i % 2 == 0) {
                    sig.send(sender, i);
                } else {
                    EXPECT_TRUE(sig.send_robust(sender, i).empty());
                }
                if (i % 3 == 0) {
                    shared.disconnect();
                } else {
                    sig.disconnect("shared");
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(persistent_calls.load(), thread_count * iterations);
    for (const auto& calls : own_calls) EXPECT_EQ(calls.load(), iterations);
    // Every thread's last word on "shared" was a disconnect, so only the persistent receiver is left.
    EXPECT_EQ(sig.receiver_count(), 1U);
}

TEST(model_signals_test, model_signal_hands_receivers_the_change_itself) {
    using domain_events::model_change;
    static_assert(std::is_same_v<decltype(domain_events::model_signals::post_save),
                                 domain_events::signal<domain_events::database&, const model_change&>>);
    // Same signal shape with a stand-in for database&, which tests can't construct.
    domain_events::signal<int&, const model_change&> sig;
    const model_change* seen = nullptr;
    int db_stand_in = 0;
    const auto receiver = [&](int& db, const model_change& change) { ++db; seen = &change; };
    sig.connect(receiver, {.sender = "patient"});
    model_change change{.model = "patient", .id = "123", .version = 2, .data = {{"name", "Ada"}}};
    sig.send(change.model, db_stand_in, change);
    EXPECT_EQ(seen, &change);  // by reference, not a copy
    EXPECT_EQ(db_stand_in, 1);
}

/** A repository-side listener whose member function hears saves and deletes of one model. */
struct change_recorder {
    void on_change(std::string_view sender, domain_events::database&, const domain_events::model_change& change) {
        seen.push_back(std::string(sender) + ":" + change.id);
    }
    std::vector<std::string> seen;
};

TEST(model_signals_test, model_signals_take_tracked_members_and_connect_each) {
    domain_events::model_signals signals;
    auto recorder = std::make_shared<change_recorder>();
    const auto handles = domain_events::connect_each(
        [](std::string_view, domain_events::database&, const domain_events::model_change&) {},
        {.sender = "patient", .dispatch_uid = "recorder"},
        signals.post_save, signals.post_delete);
    EXPECT_TRUE(signals.post_save.has_listeners("patient"));
    EXPECT_FALSE(signals.post_save.has_listeners("doctor"));
    EXPECT_FALSE(signals.pre_save.has_listeners("patient"));
    EXPECT_TRUE(handles[1].connected());
    signals.pre_delete.connect(recorder, &change_recorder::on_change);
    EXPECT_TRUE(signals.pre_delete.has_listeners("doctor"));
    recorder.reset();  // the tracked member receiver goes with its owner
    EXPECT_FALSE(signals.pre_delete.has_listeners("doctor"));
}

TEST(model_signals_test, each_model_signal_keeps_its_own_receivers) {
    domain_events::model_signals signals;
    const domain_events::model_change defaults;
    EXPECT_EQ(defaults.version, 0);
    EXPECT_FALSE(defaults.created);
    EXPECT_TRUE(defaults.data.empty());
    const auto handle = signals.pre_save.connect([](domain_events::database&, const auto&) {},
                                                  {.sender = "patient"});
    signals.post_delete.connect([](domain_events::database&, const auto&) {});
    EXPECT_EQ(signals.pre_save.receiver_count(), 1U);
    EXPECT_EQ(signals.post_save.receiver_count(), 0U);
    EXPECT_EQ(signals.pre_delete.receiver_count(), 0U);
    EXPECT_EQ(signals.post_delete.receiver_count(), 1U);
    EXPECT_TRUE(signals.pre_save.disconnect(handle));
    EXPECT_EQ(signals.pre_save.receiver_count(), 0U);
}

}  // namespace
