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

#include "domain_events/http_server.hpp"

namespace spdlog { class logger; }

namespace domain_events {

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

/**
 * @brief Serves HTTP on its own threads from `start()` to `stop()`. Add routes before `start()`.
 *        A handler's exception becomes a 500 `internal error` (the message is logged, not served).
 */
class health_server {
public:
    using handler = std::function<http_response(const http_request& request)>;

    /**
     * @param admin_token the Bearer token `post_admin` routes require; empty: they answer 403.
     * @param limits what a client may send and how long it may take (`config::http`).
     * @throws usage_error when a check of `checks` is empty.
     */
    health_server(listen_address address, health_checks checks, std::string admin_token = {},
                  std::shared_ptr<spdlog::logger> logger = {}, http_limits limits = {});
    /** @brief Stops as `stop()` does. */
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

    /** @brief Binds and starts serving. @throws config_error naming the address when it cannot bind; usage_error when started twice. */
    void start();
    /** @brief Stops accepting, finishes requests in progress, joins. Idempotent; never throws. */
    void stop() noexcept;
    /** @brief The port bound by `start()` (useful with port 0); 0 before. */
    [[nodiscard]] int port() const noexcept;
    [[nodiscard]] http_server_counters counters() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
