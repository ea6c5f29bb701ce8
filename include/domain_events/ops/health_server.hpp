#pragma once
/** @file
 * A small HTTP endpoint (an `http_server`) for health checks, metrics and operators' actions, shared
 * by the relay process and consumer programs: `GET /health/live`, `GET /health/ready`,
 * `GET /health/detailed`, `GET /metrics`, plus routes the owner adds. Routes that change state
 * need `Authorization: Bearer <admin token>`; without a configured token they are refused.
 */
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "domain_events/ops/http_server.hpp"

namespace spdlog { class logger; }

namespace domain_events {

namespace detail { class log_throttle; }

/** @brief Ready or not, and why not. */
struct readiness {
    bool ready = false;
    std::string reason;  ///< why not ready (or empty)
};

/** @brief What the built-in routes report; each is called on a server thread, per request. */
struct health_checks {
    std::function<readiness()> ready;          ///< `GET /health/ready`: 200, or 503 with the reason
    std::function<nlohmann::json()> detailed;  ///< `GET /health/detailed`: 200 with this JSON
    std::function<std::string()> metrics;      ///< `GET /metrics`: a `metrics_text` page
};

namespace detail {
/** @brief The routes, a base constructed before the `http_server` base that serves them. */
struct health_routes {
    explicit health_routes(std::shared_ptr<spdlog::logger> logger) : routes(std::move(logger)) {}
    http_router routes;
};
}  // namespace detail

/**
 * @brief An `http_server` with the health and metrics routes: it serves on its own threads from
 *        `start()` to `stop()` (inherited). Add routes before `start()`. A handler's exception
 *        becomes a 500 `internal error` (the message is logged, not served).
 *
 * Threads: construction, `get`, `post_admin`, `start` and `stop` on one thread at a time (the
 * owner's); the checks and handlers run on the server's threads, possibly several at once (see
 * `http_server`), so they must only read what is safe to read from any thread (the relay's
 * `counters()`, the consumer's `status()`, their own connection per call).
 */
class health_server final : private detail::health_routes, public http_server {
public:
    using handler = std::function<http_response(const http_request& request)>;

    /**
     * @param admin_token the Bearer token `post_admin` routes require; empty: they answer 403.
     * @param limits what a client may send and how long it may take (`config::http`).
     * @throws usage_error when a check of `checks` is empty.
     */
    health_server(listen_address address, health_checks checks, std::string admin_token = {},
                  std::shared_ptr<spdlog::logger> logger = {}, http_limits limits = {});
    /** @brief Stops serving first: the routes use the members below. */
    ~health_server();
    health_server(const health_server&) = delete;
    health_server& operator=(const health_server&) = delete;

    /** @brief `GET` on paths matching `path_regex` (whole path). @throws usage_error after `start()`. */
    void get(const std::string& path_regex, handler h);
    /**
     * @brief `POST` that needs the admin token: 403 without it, or when none is configured,
     *        decided from the headers before any of the body is read. @throws usage_error after `start()`.
     */
    void post_admin(const std::string& path_regex, handler h);

private:
    void require_not_started(const std::string& route) const;

    health_checks checks_;
    std::string admin_token_;
    std::shared_ptr<spdlog::logger> log_;
    std::shared_ptr<detail::log_throttle> refusals_;  // a warning per minute at most for refused tokens
};

}  // namespace domain_events
