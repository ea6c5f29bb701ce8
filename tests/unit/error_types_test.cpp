// What the exception types tell a caller: a storage_error says whether waiting could help
// (busy) or the file or machine is at fault; Kafka failures that are not publishing have their
// own types, still caught by the catch (const publish_error&) written before them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <domain_events/error.hpp>

#include "kafka/topic_admin_parts.hpp"

namespace de = domain_events;

namespace {

TEST(storage_error, busy_for_a_lock_held_elsewhere_whatever_the_extended_code) {
    for (const int code : {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, SQLITE_LOCKED_SHAREDCACHE}) {
        EXPECT_TRUE((de::storage_error{"x", code}.busy())) << code;
        EXPECT_FALSE((de::storage_error{"x", code}.database_fault())) << code;
    }
    for (const int code : {SQLITE_OK, SQLITE_ERROR, SQLITE_FULL, SQLITE_CONSTRAINT, SQLITE_IOERR_WRITE}) {
        EXPECT_FALSE((de::storage_error{"x", code}.busy())) << code;
    }
}

TEST(storage_error, database_fault_for_the_file_or_the_machine_not_the_statement) {
    for (const int code : {SQLITE_FULL, SQLITE_IOERR, SQLITE_IOERR_FSYNC, SQLITE_READONLY, SQLITE_READONLY_DBMOVED,
                           SQLITE_CANTOPEN, SQLITE_NOMEM, SQLITE_CORRUPT, SQLITE_NOTADB}) {
        EXPECT_TRUE((de::storage_error{"x", code}.database_fault())) << code;
    }
    for (const int code : {SQLITE_ERROR, SQLITE_CONSTRAINT_UNIQUE, SQLITE_BUSY, SQLITE_MISUSE}) {
        EXPECT_FALSE((de::storage_error{"x", code}.database_fault())) << code;
    }
}

TEST(error_types, a_failed_topic_batch_is_a_topic_error_still_caught_as_publish_error) {
    const std::vector<de::detail::admin::failure> failures{{"hc.patient", "refused", RD_KAFKA_RESP_ERR_POLICY_VIOLATION}};
    EXPECT_THROW(de::detail::admin::fail(failures), de::topic_error);
    try {
        de::detail::admin::fail(failures);
    } catch (const de::publish_error& e) {
        EXPECT_EQ(e.kafka_code(), RD_KAFKA_RESP_ERR_POLICY_VIOLATION);
        EXPECT_THAT(e.what(), ::testing::HasSubstr("hc.patient"));
    }
}

TEST(error_types, consume_topic_and_mock_cluster_errors_are_publish_errors_of_their_own_type) {
    static_assert(std::is_base_of_v<de::publish_error, de::consume_error>);
    static_assert(std::is_base_of_v<de::publish_error, de::topic_error>);
    static_assert(std::is_base_of_v<de::publish_error, de::embedded_cluster_error>);
    static_assert(!std::is_base_of_v<de::topic_error, de::consume_error>);
    const de::consume_error e{"consumer g: fatal", RD_KAFKA_RESP_ERR__FATAL};
    EXPECT_EQ(e.kafka_code(), RD_KAFKA_RESP_ERR__FATAL);
}

}  // namespace
