#pragma once
/** @file
 * The example REST API over the clinic domain, mirroring a Django REST app: JSON in and out,
 * 400 naming the field for bad input, 404 for a missing resource, 409 for an illegal
 * transition, nothing written on any error; 404/405/413/415 from `domain_events::http_server`.
 * Requests run on the server's event loops, each on a SQLite connection of its own (kept between
 * requests) while SQLite serialises the writes; the relay runs in-process and is woken by every commit. docs/domain.md lists the endpoints.
 */
#include <memory>
#include <string>

#include <domain_events/config.hpp>
#include <domain_events/ops/http_server.hpp>
#include <domain_events/relay/relay.hpp>

namespace healthcore::api {

/**
 * @brief The server, its publisher and its relay. `start` and `stop` may be called from any
 *        thread; the destructor stops.
 */
class server {
public:
    /**
     * @brief Opens `settings.database_path`, installs the clinic and outbox schemas, adds the
     *        clinic's sensitive fields to the settings and starts the relay (nothing listens yet).
     *        With Kafka enabled, `settings.bootstrap_servers` must be set (the caller starts an
     *        embedded cluster when it wants one).
     * @throws domain_events::config_error, domain_events::storage_error.
     */
    explicit server(domain_events::config settings);
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /**
     * @brief Listens on `host`:`port` (0: a free port) and serves on a background thread pool.
     * @return the port listened on.
     * @throws domain_events::usage_error when already started or the address cannot be bound.
     */
    int start(const std::string& host, int port);

    /** @brief Stops accepting, finishes the requests being served, then stops the relay. Idempotent. */
    void stop() noexcept;

    /**
     * @brief Answers one request without a socket, as the server would (routing, limits, errors):
     *        for tests and fuzzing. Thread-safe.
     */
    [[nodiscard]] domain_events::http_response handle(domain_events::http_request request) const;

    /** @brief The in-process relay (for `wait_until_published` and counters). */
    [[nodiscard]] domain_events::relay& relay() noexcept;

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace healthcore::api
