#pragma once
/** @file
 * Whether the Kafka cluster answers, asked with a metadata request through a small client of its
 * own: the relay's readiness (`GET /health/ready`) and `/health/detailed` report it.
 */
#include <chrono>
#include <memory>
#include <string>

#include "domain_events/config.hpp"

namespace spdlog { class logger; }

namespace domain_events {

/** @brief What one metadata request found. */
struct broker_status {
    bool reachable = false;
    int brokers = 0;    ///< brokers the cluster reported
    std::string error;  ///< librdkafka's error when not reachable
};

/** @brief Asks the cluster for its brokers on demand. Thread-safe (one request at a time). */
class broker_probe {
public:
    /**
     * @brief A client for `c.bootstrap_servers` with `c.kafka_properties`; connects lazily and
     *        reconnects within a second once a broker is back.
     * @throws config_error when `bootstrap_servers` is empty or librdkafka refuses a property.
     */
    explicit broker_probe(const config& c, std::shared_ptr<spdlog::logger> logger = {});
    ~broker_probe();
    broker_probe(const broker_probe&) = delete;
    broker_probe& operator=(const broker_probe&) = delete;

    /** @brief One metadata request, waiting up to `timeout`. */
    [[nodiscard]] broker_status check(std::chrono::milliseconds timeout = std::chrono::seconds{2});

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
