// The C boundary of every librdkafka client (src/kafka_client.hpp): a callback reaches its owner
// through the client's opaque, and an exception it throws is caught and recorded as the
// client's fatal error, never thrown into C. Fake callbacks, no Kafka.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <type_traits>

#include "kafka/kafka_client.hpp"

namespace detail = domain_events::detail;
using ::testing::HasSubstr;

namespace {

struct fake_owner {
    int errors_seen = 0;
    std::string last_reason;

    void on_error(int error, const char* reason) {
        errors_seen += error;
        last_reason = reason;
    }
    void on_error_that_throws(int, const char*) { throw std::runtime_error("handler failed: boom"); }
    int on_statistics_that_throws(char*, std::size_t) { throw 42; }  // not even a std::exception
};

spdlog::logger quiet_logger() { return spdlog::logger("test", std::make_shared<spdlog::sinks::null_sink_mt>()); }

TEST(kafka_callback, is_a_noexcept_c_callback_of_librdkafkas_signature) {
    using error_callback = void (*)(rd_kafka_t*, int, const char*, void*);
    const error_callback callback = &detail::kafka_callback<&fake_owner::on_error>::call;
    EXPECT_NE(callback, nullptr);
    static_assert(noexcept(detail::kafka_callback<&fake_owner::on_error>::call(nullptr, 0, "", nullptr)));
    using stats_callback = int (*)(rd_kafka_t*, char*, std::size_t, void*);
    const stats_callback stats = &detail::kafka_callback<&fake_owner::on_statistics_that_throws>::call;
    EXPECT_NE(stats, nullptr);
}

TEST(kafka_callback, finds_its_owner_through_the_clients_opaque) {
    auto log = quiet_logger();
    fake_owner owner;
    detail::kafka_client client(&owner, log, "test client");
    detail::kafka_callback<&fake_owner::on_error>::call(nullptr, 3, "broker down", client.opaque());
    EXPECT_EQ(owner.errors_seen, 3);
    EXPECT_EQ(owner.last_reason, "broker down");
    EXPECT_FALSE(client.fatal_error());
}

TEST(kafka_callback, records_an_exception_the_handler_throws_as_the_fatal_error_instead_of_throwing_into_c) {
    auto log = quiet_logger();
    fake_owner owner;
    detail::kafka_client client(&owner, log, "test client");
    // Without the catch, the exception would leave a noexcept function: std::terminate.
    detail::kafka_callback<&fake_owner::on_error_that_throws>::call(nullptr, 1, "x", client.opaque());
    ASSERT_TRUE(client.fatal_error());
    EXPECT_THAT(*client.fatal_error(), HasSubstr("handler failed: boom"));
}

TEST(kafka_callback, records_any_exception_and_returns_the_value_that_lets_librdkafka_free_the_document) {
    auto log = quiet_logger();
    fake_owner owner;
    detail::kafka_client client(&owner, log, "test client");
    char json[] = "{}";
    EXPECT_EQ((detail::kafka_callback<&fake_owner::on_statistics_that_throws>::call(nullptr, json, 2, client.opaque())), 0);
    ASSERT_TRUE(client.fatal_error());
    EXPECT_THAT(*client.fatal_error(), HasSubstr("unknown exception"));
}

}  // namespace
