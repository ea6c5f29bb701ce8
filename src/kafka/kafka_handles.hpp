#pragma once
// Every librdkafka handle the library (and its tests) owns: one deleter template and one alias
// per C type. Wrap a raw handle the moment it exists, before checking the return code, so a
// failed call still frees what it returned. Internal: public headers never see librdkafka.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>

namespace domain_events::detail {

/** @brief Frees a librdkafka object with its own destroy function; never throws. */
template <auto destroy>
struct kafka_deleter {
    template <class T>
    void operator()(T* handle) const noexcept {
        destroy(handle);
    }
};

using kafka_handle = std::unique_ptr<rd_kafka_t, kafka_deleter<&rd_kafka_destroy>>;
using kafka_conf = std::unique_ptr<rd_kafka_conf_t, kafka_deleter<&rd_kafka_conf_destroy>>;
using kafka_topic = std::unique_ptr<rd_kafka_topic_t, kafka_deleter<&rd_kafka_topic_destroy>>;
using kafka_partition_list =
    std::unique_ptr<rd_kafka_topic_partition_list_t, kafka_deleter<&rd_kafka_topic_partition_list_destroy>>;
using kafka_headers = std::unique_ptr<rd_kafka_headers_t, kafka_deleter<&rd_kafka_headers_destroy>>;
using kafka_message = std::unique_ptr<rd_kafka_message_t, kafka_deleter<&rd_kafka_message_destroy>>;
using kafka_metadata = std::unique_ptr<const rd_kafka_metadata_t, kafka_deleter<&rd_kafka_metadata_destroy>>;
using kafka_error_object = std::unique_ptr<rd_kafka_error_t, kafka_deleter<&rd_kafka_error_destroy>>;
using kafka_queue = std::unique_ptr<rd_kafka_queue_t, kafka_deleter<&rd_kafka_queue_destroy>>;
using kafka_event = std::unique_ptr<rd_kafka_event_t, kafka_deleter<&rd_kafka_event_destroy>>;
using kafka_admin_options = std::unique_ptr<rd_kafka_AdminOptions_t, kafka_deleter<&rd_kafka_AdminOptions_destroy>>;
using kafka_new_topic = std::unique_ptr<rd_kafka_NewTopic_t, kafka_deleter<&rd_kafka_NewTopic_destroy>>;
using kafka_config_resource =
    std::unique_ptr<rd_kafka_ConfigResource_t, kafka_deleter<&rd_kafka_ConfigResource_destroy>>;
using kafka_mock_cluster = std::unique_ptr<rd_kafka_mock_cluster_t, kafka_deleter<&rd_kafka_mock_cluster_destroy>>;

}  // namespace domain_events::detail
