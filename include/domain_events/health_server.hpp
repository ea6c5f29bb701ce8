#pragma once
/** @file
 * A small HTTP endpoint (cpp-httplib) for health checks, metrics and operators' actions, shared
 * by the relay process and consumer programs: `GET /health/live`, `GET /health/ready`,
 * `GET /health/detailed`, `GET /metrics`, plus routes the owner adds. Routes that change state
 * need `Authorization: Bearer <admin token>`; without a configured token they are refused.
 */
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace spdlog { class logger; }

namespace domain_events {

/** @brief Where to listen. Loopback unless told otherwise: the endpoint has no TLS. */
struct listen_address {
    std::string host = "127.0.0.1";
    int port = 0;  ///< 0: any free port (see `health_server::port()`)
};

/**
 * @brief Reads `HOST:PORT` or `PORT` (host 127.0.0.1); PORT 0..65535.
 * @param what the option or variable the text came from, named in the error.
 * @throws config_error naming `what` and the text.
 */
[[nodiscard]] listen_address parse_listen_address(std::string_view text, std::string_view what);

/** @brief What a route handler is told about the request. */
struct http_request {
    std::vector<std::string> captures;  ///< the path regex's capture groups, in order
    std::map<std::string, std::string, std::less<>> query;  ///< query parameters (the last of repeated ones)

    /** @brief The query parameter `name`, or `fallback` when absent. */
    [[nodiscard]] std::string param(std::string_view name, std::string fallback = {}) const {
        const auto found = query.find(name);
        return found == query.end() ? fallback : found->second;
    }
};

/** @brief What a route answers. */
struct http_response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
};

/** @brief A JSON response. */
[[nodiscard]] http_response json_response(int status, const nlohmann::json& body);

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
 *        A handler's exception becomes a 500 with the message as JSON `error`, and is logged.
 */
class health_server {
public:
    using handler = std::function<http_response(const http_request& request)>;

    /**
     * @param admin_token the Bearer token `post_admin` routes require; empty: they answer 403.
     * @throws usage_error when a check of `checks` is empty.
     */
    health_server(listen_address address, health_checks checks, std::string admin_token = {},
                  std::shared_ptr<spdlog::logger> logger = {});
    /** @brief Stops as `stop()` does. */
    ~health_server();
    health_server(const health_server&) = delete;
    health_server& operator=(const health_server&) = delete;

    /** @brief `GET` on paths matching `path_regex` (whole path). @throws usage_error after `start()`. */
    void get(const std::string& path_regex, handler h);
    /** @brief `POST` that needs the admin token (403 without it, or when none is configured). @throws usage_error after `start()`. */
    void post_admin(const std::string& path_regex, handler h);

    /** @brief Binds and starts serving. @throws config_error naming the address when it cannot bind; usage_error when started twice. */
    void start();
    /** @brief Stops accepting, finishes requests in progress, joins. Idempotent; never throws. */
    void stop() noexcept;
    /** @brief The port bound by `start()` (useful with port 0); 0 before. */
    [[nodiscard]] int port() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace domain_events
