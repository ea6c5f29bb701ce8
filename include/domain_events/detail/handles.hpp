#pragma once
/** @file
 * Owning aliases for every C handle the library holds. Wrap a raw handle the moment it exists,
 * before checking the return code, so a failed open still closes. Not part of the public API.
 */
#include <memory>

struct sqlite3;
struct sqlite3_stmt;
struct rd_kafka_s;
struct rd_kafka_conf_s;
struct rd_kafka_topic_s;
struct rd_kafka_topic_partition_list_s;
struct rd_kafka_headers_s;
struct rd_kafka_message_s;
struct rd_kafka_mock_cluster_s;

namespace domain_events::detail {

struct sqlite_db_deleter { void operator()(sqlite3* db) const noexcept; };
struct sqlite_stmt_deleter { void operator()(sqlite3_stmt* stmt) const noexcept; };
struct kafka_handle_deleter { void operator()(rd_kafka_s* rk) const noexcept; };
struct kafka_conf_deleter { void operator()(rd_kafka_conf_s* conf) const noexcept; };
struct kafka_topic_deleter { void operator()(rd_kafka_topic_s* topic) const noexcept; };
struct kafka_partition_list_deleter { void operator()(rd_kafka_topic_partition_list_s* list) const noexcept; };
struct kafka_headers_deleter { void operator()(rd_kafka_headers_s* headers) const noexcept; };
struct kafka_message_deleter { void operator()(rd_kafka_message_s* message) const noexcept; };
struct kafka_mock_cluster_deleter { void operator()(rd_kafka_mock_cluster_s* cluster) const noexcept; };

using sqlite_db = std::unique_ptr<sqlite3, sqlite_db_deleter>;
using sqlite_stmt = std::unique_ptr<sqlite3_stmt, sqlite_stmt_deleter>;
using kafka_handle = std::unique_ptr<rd_kafka_s, kafka_handle_deleter>;
using kafka_conf = std::unique_ptr<rd_kafka_conf_s, kafka_conf_deleter>;
using kafka_topic = std::unique_ptr<rd_kafka_topic_s, kafka_topic_deleter>;
using kafka_partition_list = std::unique_ptr<rd_kafka_topic_partition_list_s, kafka_partition_list_deleter>;
using kafka_headers = std::unique_ptr<rd_kafka_headers_s, kafka_headers_deleter>;
using kafka_message = std::unique_ptr<rd_kafka_message_s, kafka_message_deleter>;
using kafka_mock_cluster = std::unique_ptr<rd_kafka_mock_cluster_s, kafka_mock_cluster_deleter>;

}  // namespace domain_events::detail
