#include "domain_events/kafka/broker_probe.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"
#include "kafka/kafka_conf.hpp"
#include "kafka/kafka_log.hpp"

namespace domain_events {

struct broker_probe::impl : detail::kafka_log_target {  // first base: the client's opaque points here
    std::shared_ptr<spdlog::logger> log_owner;
    std::mutex mutex;
    detail::kafka_handle client;
};

broker_probe::broker_probe(const config& c, std::shared_ptr<spdlog::logger> logger) : impl_(std::make_unique<impl>()) {
    if (c.bootstrap_servers.empty()) {
        throw config_error("broker probe: bootstrap_servers='': must name the brokers to ask");
    }
    impl_->log_owner = logger ? std::move(logger) : library_logger();
    impl_->logger = impl_->log_owner.get();
    auto properties = c.kafka_properties;
    properties["bootstrap.servers"] = c.bootstrap_servers;
    // librdkafka's default backs off up to 10 s between reconnects: readiness would lag a
    // recovered broker by that much.
    properties["reconnect.backoff.max.ms"] = "1000";
    auto conf = detail::make_kafka_conf(properties, "broker probe");
    detail::route_kafka_logs(conf.get(), impl_.get());
    impl_->client = detail::make_kafka_client(RD_KAFKA_PRODUCER, std::move(conf), "broker probe");
}

broker_probe::~broker_probe() = default;

broker_status broker_probe::check(std::chrono::milliseconds timeout) {
    std::lock_guard lock(impl_->mutex);
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(impl_->client.get(), 0, nullptr, &raw, static_cast<int>(timeout.count()));
    const std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> metadata(
        raw, &rd_kafka_metadata_destroy);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return {false, 0, detail::kafka_error_text(err)};
    return {true, metadata->broker_cnt, {}};
}

}  // namespace domain_events
