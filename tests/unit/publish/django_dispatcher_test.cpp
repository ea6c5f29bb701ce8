/** @file
 * Django's own dispatcher tests (tests/dispatch/tests.py), ported one by one to signal.hpp as an
 * outside user would write them. Each test names the Django test it ports. Not ported:
 * - test_cannot_connect_no_kwargs: a receiver's parameters are checked when it is compiled (a
 *   static_assert in `connect`), so there is nothing to check at run time.
 * - test_unweakrefable_sender, test_garbage_collected_sender, test_cached_garbaged_collected: a
 *   sender is a name (a string copied into the receiver), not an object held by reference or by
 *   id, and there is no sender cache (`use_caching`); nothing can be collected or reused.
 * - TestDispatcherAsync (asend, asend_robust, mixed sync/async receivers): there is no coroutine API.
 */
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain_events/error.hpp"
#include "domain_events/publish/signal.hpp"

namespace {

using text_signal = domain_events::signal<std::string(const std::string&)>;

std::string receiver_1_arg(const std::string& val) { return val; }

/** Django's `Callable`: an object whose member function is the receiver. */
struct callable {
    std::string a(const std::string& val) { return val; }  // NOLINT(readability-convert-member-functions-to-static)
};

/** Django's assertTestIsClean. */
void expect_clean(const text_signal& signal) {
    EXPECT_FALSE(signal.has_listeners());
    EXPECT_EQ(signal.receiver_count(), 0U);
}

/** Django's pattern: receiver_1_arg, connected for every sender, answers `send(signal)` with "test". */
template <class Send>
void expect_one_echo_from_a_receiver_of_every_sender(Send send) {
    text_signal a_signal;
    const auto handle = a_signal.connect(receiver_1_arg);
    const auto result = send(a_signal);
    ASSERT_EQ(result.size(), 1U);
    EXPECT_EQ(result[0].receiver, handle);
    EXPECT_EQ(result[0].value, "test");
    if constexpr (requires { result[0].error; }) {
        EXPECT_FALSE(result[0].error.has_value());
    }
    EXPECT_TRUE(a_signal.disconnect(receiver_1_arg));
    expect_clean(a_signal);
}

/** Sends spdlog's default logger (which the library logs to) to a string while it lives. */
class captured_log {
public:
    captured_log() : previous_(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
        logger->set_pattern("[%l] %v");
        spdlog::set_default_logger(std::move(logger));
    }
    ~captured_log() { spdlog::set_default_logger(previous_); }
    captured_log(const captured_log&) = delete;
    captured_log& operator=(const captured_log&) = delete;
    [[nodiscard]] std::string text() const { return out_.str(); }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

// test_cannot_connect_non_callable: the nearest run-time case is an empty receiver.
TEST(django_dispatcher_test, cannot_connect_an_empty_receiver) {
    text_signal a_signal;
    EXPECT_THROW(a_signal.connect(text_signal::receiver{}), domain_events::validation_error);
    EXPECT_THROW(a_signal.connect(static_cast<std::string (*)(const std::string&)>(nullptr)),
                 domain_events::validation_error);
    expect_clean(a_signal);
}

// test_send
TEST(django_dispatcher_test, send) {
    text_signal a_signal;
    const auto handle = a_signal.connect(receiver_1_arg, {.sender = "self"});
    const auto result = a_signal.send("self", "test");
    ASSERT_EQ(result.size(), 1U);
    EXPECT_EQ(result[0].receiver, handle);
    EXPECT_EQ(result[0].value, "test");
    EXPECT_TRUE(a_signal.disconnect(receiver_1_arg, "self"));
    expect_clean(a_signal);
}

// test_send_no_receivers
TEST(django_dispatcher_test, send_no_receivers) {
    text_signal a_signal;
    EXPECT_TRUE(a_signal.send("self", "test").empty());
}

// test_send_connected_no_sender
TEST(django_dispatcher_test, send_connected_no_sender) {
    expect_one_echo_from_a_receiver_of_every_sender([](text_signal& sig) { return sig.send("self", "test"); });
}

// test_send_different_no_sender
TEST(django_dispatcher_test, send_different_no_sender) {
    text_signal a_signal;
    a_signal.connect(receiver_1_arg, {.sender = "object"});
    EXPECT_TRUE(a_signal.send("self", "test").empty());
    EXPECT_TRUE(a_signal.disconnect(receiver_1_arg, "object"));
    expect_clean(a_signal);
}

// test_garbage_collected_receiver (test_garbage_collected before Django 5.0)
TEST(django_dispatcher_test, garbage_collected_receiver) {
    text_signal a_signal;
    auto a = std::make_shared<callable>();
    a_signal.connect(a, &callable::a, {.sender = "self"});
    a.reset();
    EXPECT_TRUE(a_signal.send("self", "test").empty());
    expect_clean(a_signal);
}

// test_multiple_registration, with an (object, member function) pair and with a plain function
TEST(django_dispatcher_test, multiple_registration) {
    text_signal a_signal;
    auto a = std::make_shared<callable>();
    for (int i = 0; i < 6; ++i) a_signal.connect(a, &callable::a);
    for (int i = 0; i < 6; ++i) a_signal.connect(receiver_1_arg);
    EXPECT_EQ(a_signal.send("self", "test").size(), 2U);
    EXPECT_EQ(a_signal.receiver_count(), 2U);
    a.reset();
    EXPECT_TRUE(a_signal.disconnect(receiver_1_arg));
    expect_clean(a_signal);
}

// test_uid_registration
TEST(django_dispatcher_test, uid_registration) {
    text_signal a_signal;
    a_signal.connect([](const std::string&) { return std::string("1"); }, {.dispatch_uid = "uid"});
    a_signal.connect([](const std::string&) { return std::string("2"); }, {.dispatch_uid = "uid"});
    EXPECT_EQ(a_signal.receiver_count(), 1U);
    EXPECT_TRUE(a_signal.disconnect("uid"));
    expect_clean(a_signal);
}

// test_send_robust_success
TEST(django_dispatcher_test, send_robust_success) {
    expect_one_echo_from_a_receiver_of_every_sender([](text_signal& sig) { return sig.send_robust("self", "test"); });
}

// test_send_robust_no_receivers
TEST(django_dispatcher_test, send_robust_no_receivers) {
    text_signal a_signal;
    EXPECT_TRUE(a_signal.send_robust("self", "test").empty());
}

// test_send_robust_ignored_sender
TEST(django_dispatcher_test, send_robust_ignored_sender) {
    expect_one_echo_from_a_receiver_of_every_sender([](text_signal& sig) { return sig.send_robust("any", "test"); });
}

// test_send_robust_fail: the exception is kept for the caller and logged at error level.
TEST(django_dispatcher_test, send_robust_fail) {
    text_signal a_signal;
    const auto fails = a_signal.connect([](const std::string&) -> std::string { throw std::invalid_argument("this"); },
                                        {.dispatch_uid = "fails"});
    const captured_log log;
    const auto result = a_signal.send_robust("self", "test");
    ASSERT_EQ(result.size(), 1U);
    EXPECT_EQ(result[0].receiver, fails);
    EXPECT_FALSE(result[0].value.has_value());
    ASSERT_TRUE(result[0].error.has_value());
    EXPECT_EQ(result[0].error->what, "this");
    EXPECT_EQ(result[0].error->receiver, fails);
    EXPECT_THROW(std::rethrow_exception(result[0].error->error), std::invalid_argument);
    EXPECT_EQ(log.text(), "[error] signal: receiver fails (#0) failed in send_robust from sender 'self': this\n");
    EXPECT_TRUE(a_signal.disconnect(fails));
    expect_clean(a_signal);
}

// test_disconnection
TEST(django_dispatcher_test, disconnection) {
    text_signal a_signal;
    auto receiver_1 = std::make_shared<callable>();
    auto receiver_2 = std::make_shared<callable>();
    auto receiver_3 = std::make_shared<callable>();
    a_signal.connect(receiver_1, &callable::a);
    a_signal.connect(receiver_2, &callable::a);
    a_signal.connect(receiver_3, &callable::a);
    EXPECT_TRUE(a_signal.disconnect(receiver_1, &callable::a));
    receiver_2.reset();
    EXPECT_TRUE(a_signal.disconnect(receiver_3, &callable::a));
    expect_clean(a_signal);
}

// test_values_returned_by_disconnection
TEST(django_dispatcher_test, values_returned_by_disconnection) {
    text_signal a_signal;
    callable receiver_1;
    callable receiver_2;
    a_signal.connect(&receiver_1, &callable::a);
    EXPECT_TRUE(a_signal.disconnect(&receiver_1, &callable::a));
    EXPECT_FALSE(a_signal.disconnect(&receiver_2, &callable::a));
    expect_clean(a_signal);
}

// test_has_listeners
TEST(django_dispatcher_test, has_listeners) {
    text_signal a_signal;
    EXPECT_FALSE(a_signal.has_listeners());
    EXPECT_FALSE(a_signal.has_listeners("object"));
    callable receiver_1;
    a_signal.connect(&receiver_1, &callable::a);
    EXPECT_TRUE(a_signal.has_listeners());
    EXPECT_TRUE(a_signal.has_listeners("object"));
    EXPECT_TRUE(a_signal.disconnect(&receiver_1, &callable::a));
    EXPECT_FALSE(a_signal.has_listeners());
    EXPECT_FALSE(a_signal.has_listeners("object"));
}

// ReceiverTestCase.test_receiver_single_signal
TEST(django_dispatcher_test, receiver_single_signal) {
    domain_events::signal<bool> a_signal;
    bool state = false;
    domain_events::connect_each([&](bool val) { state = val; }, {}, a_signal);
    a_signal.send("self", true);
    EXPECT_TRUE(state);
}

// ReceiverTestCase.test_receiver_signal_list
TEST(django_dispatcher_test, receiver_signal_list) {
    domain_events::signal<const std::string&> a_signal;
    domain_events::signal<const std::string&> b_signal;
    domain_events::signal<const std::string&> c_signal;
    std::vector<std::string> state;
    const auto handles = domain_events::connect_each([&](const std::string& val) { state.push_back(val); }, {}, a_signal,
                                                     b_signal, c_signal);
    a_signal.send("self", "a");
    c_signal.send("self", "c");
    b_signal.send("self", "b");
    EXPECT_EQ(state, (std::vector<std::string>{"a", "c", "b"}));
    EXPECT_EQ(handles.size(), 3U);
}

}  // namespace
