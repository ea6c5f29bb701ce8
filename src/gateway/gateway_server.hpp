#pragma once
// `domain-events gateway`: HTTP ingestion of events into the outbox (docs/gateway.md). A 202
// means the event is committed to the outbox; the relay, in this process, publishes it.
#include <chrono>
#include <memory>

#include <domain_events/config.hpp>
#include <domain_events/ops/http_server.hpp>
#include <domain_events/relay/relay.hpp>

#include "gateway_settings.hpp"

namespace domain_events::gateway {

/**
 * @brief The gateway: its routes, write path, relay and back-pressure monitor. `start`, `stop`
 *        from one thread at a time; `handle` from any thread. The destructor stops.
 */
class gateway_server {
public:
    /**
     * @brief Opens the outbox at `settings.database_path`, applies `gateway`'s topic settings,
     *        starts the relay and the back-pressure monitor (nothing listens yet).
     * @throws config_error, storage_error.
     */
    gateway_server(config settings, gateway_settings gateway);
    ~gateway_server();
    gateway_server(const gateway_server&) = delete;
    gateway_server& operator=(const gateway_server&) = delete;

    /** @brief Listens and serves. @return the port. @throws config_error when it cannot bind; usage_error when started. */
    int start(const listen_address& address);

    /**
     * @brief Graceful shutdown within `shutdown_timeout`: refuses new requests (503, readiness
     *        down), lets the requests in progress finish and their answers go out, stops
     *        listening, then waits for the relay to publish what is committed and stops it.
     *        Idempotent.
     * @return true when every committed event was published in time (or Kafka is disabled).
     */
    bool stop() noexcept;

    /** @brief Answers one request without a socket, as the server would (for tests). */
    [[nodiscard]] http_response handle(http_request request) const;

    /** @brief The in-process relay. */
    [[nodiscard]] relay& publisher_relay() noexcept;
    /** @brief Takes a back-pressure reading now instead of at the next interval (tests, operators). */
    void refresh_back_pressure() noexcept;

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace domain_events::gateway
