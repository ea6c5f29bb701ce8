#pragma once
// The gateway's parts, shared by its lifecycle (gateway_server.cpp) and its routes
// (event_routes.cpp). Declaration order is construction order: each part is made after those it uses.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <domain_events/config.hpp>
#include <domain_events/ops/http_server.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/publish/signal_connection.hpp>

#include "back_pressure.hpp"
#include "event_intake.hpp"
#include "event_writer.hpp"
#include "gateway_metrics.hpp"
#include "gateway_server.hpp"
#include "gateway_settings.hpp"
#include "ops/log_throttle.hpp"
#include "rate_limiter.hpp"

namespace spdlog { class logger; }

namespace domain_events::gateway {

/** @brief `status` with `{"error": message}` and `Retry-After: retry_after` (429, 503). */
[[nodiscard]] http_response retry_later(int status, std::string_view message, std::chrono::seconds retry_after);

/** @brief The in-process relay's options from the gateway's settings (its linger). */
[[nodiscard]] relay_options relay_tuning(const gateway_settings& gateway);

struct gateway_server::state {
    state(config c, gateway_settings g);

    gateway_settings gateway;
    config settings;  // with the gateway's topic settings and widened validation (apply_to_config)
    std::shared_ptr<spdlog::logger> log;
    event_intake intake{gateway, settings};
    gateway_metrics metrics{gateway};
    std::optional<rate_limiter> limiter;
    back_pressure pressure;
    http_router routes;

    std::atomic<bool> draining{false};
    std::mutex handlers_mutex;
    std::condition_variable handlers_done;
    int handlers_running = 0;

    detail::log_throttle commit_failures{std::chrono::minutes{1}};  // a line a minute while the disk is full
    std::chrono::steady_clock::time_point next_forget{};  // housekeeping's schedule (its thread only)

    std::mutex lifecycle;
    std::unique_ptr<http_server> http;
    bool stopped = false;
    bool flushed = true;

    // Last, so destroyed first: the writer's destructor tells the writes still queued, whose
    // answers use the metrics and handler counts above.
    event_writer writer{settings, gateway.group_commit_max_batch};
    relay publisher_relay{settings, relay_tuning(gateway)};
    scoped_connection wake = publisher_relay.wake_on_commit(writer.events());  // after the relay it wakes

    /** The client a request counts against: the configured header's value, else its address. */
    [[nodiscard]] std::string client_of(const http_request& request) const;
    /** What refuses a request before its body is read: draining, rate limit, back-pressure (writes only). */
    [[nodiscard]] std::optional<http_response> admit(const http_request& request, std::string_view route, bool writes);
    /** Wraps a handler: counts it running until it answers, records its metrics, closes connections while draining. */
    [[nodiscard]] http_router::deferred_handler measured(std::string route, http_router::deferred_handler handler);
    /** The answer to a write whose events were not kept: 503 for storage (logged once a minute), else 500. */
    [[nodiscard]] http_response write_failed(const std::exception_ptr& failure);
    void add_event_routes();
    void add_health_routes();
    void housekeeping();
};

}  // namespace domain_events::gateway
