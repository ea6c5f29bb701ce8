#pragma once
/** @file
 * A consumer program's HTTP endpoint: health checks and Prometheus metrics of one `consumer`,
 * served by a `health_server` on 127.0.0.1 unless told otherwise. One line in `main`:
 *
 *     de::consumer_http_endpoint endpoint(consumer, "127.0.0.1:9465");
 *
 * `GET /health/live`, `GET /health/ready` (running, assigned, not stalled, brokers reachable),
 * `GET /health/detailed` (JSON), `GET /metrics`. docs/operations.md lists the metrics.
 */
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain_events/kafka/broker_probe.hpp"
#include "domain_events/consume/consumer_status.hpp"
#include "domain_events/ops/health_server.hpp"

namespace spdlog { class logger; }

namespace domain_events {

class consumer;

/** @brief The consumer's metrics page (Prometheus text format 0.0.4), every sample labelled with its group. */
[[nodiscard]] std::string consumer_metrics(const consumer_status& status);

/**
 * @brief The readiness rule: running, at least one partition assigned, not stalled, and the
 *        brokers answered `broker`'s metadata request; otherwise not ready, with the first
 *        reason that applies.
 */
[[nodiscard]] readiness consumer_readiness(const consumer_status& status, const broker_status& broker);

/** @brief The `/health/detailed` document: group, assignment with lag per partition, totals, last error, broker. */
[[nodiscard]] nlohmann::json consumer_detailed(const consumer_status& status, const broker_status& broker);

/**
 * @brief Serves one consumer's health and metrics from construction to destruction, on threads
 *        of its own. Declare it after the consumer (it reads the consumer until it is destroyed)
 *        and before `run()`; it reports "not ready" until the consumer runs and is assigned.
 *        Threads: those threads read the consumer only through `status()` (safe from any
 *        thread), so `run()` goes on on its own thread; construct and destroy the endpoint on
 *        one thread, `port()` from any.
 */
class consumer_http_endpoint {
public:
    /**
     * @param address `HOST:PORT` or `PORT` (host 127.0.0.1); port 0: any free port, see `port()`.
     * @throws config_error naming the address when it is malformed or cannot be bound.
     */
    consumer_http_endpoint(const consumer& watched, std::string_view address,
                           std::shared_ptr<spdlog::logger> logger = {});
    consumer_http_endpoint(const consumer& watched, listen_address address, std::shared_ptr<spdlog::logger> logger = {});
    /** @brief Stops serving (finishing requests in progress). */
    ~consumer_http_endpoint();

    consumer_http_endpoint(const consumer_http_endpoint&) = delete;
    consumer_http_endpoint& operator=(const consumer_http_endpoint&) = delete;

    /** @brief The port it listens on. */
    [[nodiscard]] int port() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
