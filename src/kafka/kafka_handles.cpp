#include "domain_events/detail/handles.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace domain_events::detail {

void kafka_handle_deleter::operator()(rd_kafka_s* rk) const noexcept { rd_kafka_destroy(rk); }
void kafka_conf_deleter::operator()(rd_kafka_conf_s* conf) const noexcept { rd_kafka_conf_destroy(conf); }
void kafka_topic_deleter::operator()(rd_kafka_topic_s* topic) const noexcept { rd_kafka_topic_destroy(topic); }
void kafka_partition_list_deleter::operator()(rd_kafka_topic_partition_list_s* list) const noexcept {
    rd_kafka_topic_partition_list_destroy(list);
}
void kafka_headers_deleter::operator()(rd_kafka_headers_s* headers) const noexcept { rd_kafka_headers_destroy(headers); }
void kafka_message_deleter::operator()(rd_kafka_message_s* message) const noexcept { rd_kafka_message_destroy(message); }
void kafka_mock_cluster_deleter::operator()(rd_kafka_mock_cluster_s* cluster) const noexcept {
    rd_kafka_mock_cluster_destroy(cluster);
}

}  // namespace domain_events::detail
