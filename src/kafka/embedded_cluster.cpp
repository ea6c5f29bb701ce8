#include "domain_events/kafka/embedded_cluster.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "domain_events/error.hpp"

namespace domain_events {

embedded_cluster::embedded_cluster(int brokers) : brokers_(brokers) {
    if (brokers < 1) throw usage_error("embedded_cluster: brokers=" + std::to_string(brokers) + " must be >= 1");
    char reason[512];
    detail::kafka_conf conf(rd_kafka_conf_new());
    // The owner handle never talks to a broker; keep its logs quiet.
    rd_kafka_conf_set(conf.get(), "log_level", "3", reason, sizeof reason);
    owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason, sizeof reason));
    if (!owner_) throw publish_error(std::string("embedded_cluster: cannot create the owner handle: ") + reason, -1);
    conf.release();  // rd_kafka_new took ownership
    cluster_.reset(rd_kafka_mock_cluster_new(owner_.get(), brokers));
    if (!cluster_) throw publish_error("embedded_cluster: rd_kafka_mock_cluster_new failed", -1);
    bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());
}

embedded_cluster::~embedded_cluster() = default;

void embedded_cluster::check(int error_code, const std::string& action) const {
    if (error_code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw publish_error("embedded_cluster: " + action + ": " +
                                rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(error_code)),
                            error_code);
    }
}

void embedded_cluster::create_topic(const std::string& topic, int partitions, int replication_factor) {
    check(rd_kafka_mock_topic_create(cluster_.get(), topic.c_str(), partitions, replication_factor),
          "create topic '" + topic + "'");
}

void embedded_cluster::set_broker_down(std::int32_t broker_id, bool down) {
    check(down ? rd_kafka_mock_broker_set_down(cluster_.get(), broker_id)
               : rd_kafka_mock_broker_set_up(cluster_.get(), broker_id),
          "set broker " + std::to_string(broker_id) + (down ? " down" : " up"));
}

void embedded_cluster::set_round_trip_time(std::int32_t broker_id, std::chrono::milliseconds rtt) {
    check(rd_kafka_mock_broker_set_rtt(cluster_.get(), broker_id, static_cast<int>(rtt.count())),
          "set round-trip time of broker " + std::to_string(broker_id));
}

void embedded_cluster::push_request_errors(std::int16_t api_key, const std::vector<int>& error_codes) {
    std::vector<rd_kafka_resp_err_t> errors;
    errors.reserve(error_codes.size());
    for (const int code : error_codes) errors.push_back(static_cast<rd_kafka_resp_err_t>(code));
    rd_kafka_mock_push_request_errors_array(cluster_.get(), api_key, errors.size(), errors.data());
}

void embedded_cluster::set_partition_leader(const std::string& topic, std::int32_t partition,
                                            std::int32_t broker_id) {
    check(rd_kafka_mock_partition_set_leader(cluster_.get(), topic.c_str(), partition, broker_id),
          "set leader of " + topic + "[" + std::to_string(partition) + "]");
}

std::unique_ptr<embedded_cluster> embedded_cluster_unless_configured(config& settings) {
    if (!settings.kafka_enabled || !settings.bootstrap_servers.empty()) return nullptr;
    auto cluster = std::make_unique<embedded_cluster>(1);
    settings.bootstrap_servers = cluster->bootstrap_servers();
    return cluster;
}

}  // namespace domain_events
