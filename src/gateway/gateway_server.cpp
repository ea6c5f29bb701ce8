#include "gateway_server.hpp"

#include <cmath>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <domain_events/error.hpp>
#include <domain_events/logging.hpp>
#include <domain_events/ops/metrics_text.hpp>

#include "gateway_openapi_document.hpp"  // generated from openapi.json by the build
#include "gateway_state.hpp"

namespace domain_events::gateway {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_client_key_bytes = 128;
constexpr std::chrono::minutes forget_interval{1};
constexpr std::size_t forget_rows_per_pass = 10'000;

config configured(config settings, const gateway_settings& gateway) {
    apply_to_config(gateway, settings);
    settings.http.max_body_bytes = gateway.max_body_bytes;
    return settings;
}

}  // namespace

http_response retry_later(int status, std::string_view message, std::chrono::seconds retry_after) {
    auto answer = json_error(status, message);
    answer.headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, retry_after.count())));
    return answer;
}

relay_options relay_tuning(const gateway_settings& gateway) {
    relay_options options;
    options.linger = gateway.relay_linger;
    return options;
}

gateway_server::state::state(config c, gateway_settings g)
    : gateway(std::move(g)), settings(configured(std::move(c), gateway)), log(library_logger()),
      pressure(gateway.back_pressure, [path = settings.database_path] { return read_outbox_pressure(path); },
               [this] { housekeeping(); }) {
    if (gateway.rate_limit.requests_per_second > 0) {
        limiter.emplace(gateway.rate_limit.requests_per_second, gateway.rate_limit.burst, gateway.rate_limit.max_clients);
    }
}

std::string gateway_server::state::client_of(const http_request& request) const {
    if (!gateway.rate_limit.client_header.empty()) {
        auto named = request.header(gateway.rate_limit.client_header);
        if (!named.empty()) return "header:" + named.substr(0, max_client_key_bytes);
    }
    return "address:" + request.remote_address;
}

std::optional<http_response> gateway_server::state::admit(const http_request& request, std::string_view route, bool writes) {
    std::optional<http_response> refusal;
    if (draining) {
        refusal = retry_later(503, "the gateway is shutting down", std::chrono::seconds{1});
        refusal->headers.emplace_back("Connection", "close");
    } else if (limiter) {
        if (const auto wait = limiter->take(client_of(request), rate_limiter::clock::now())) {
            const auto seconds = std::chrono::ceil<std::chrono::seconds>(*wait);
            refusal = retry_later(429, "too many requests from this client: at most " +
                                           std::to_string(gateway.rate_limit.requests_per_second) + " a second",
                                  seconds);
        }
    }
    if (!refusal && writes) {
        if (const auto reason = pressure.refusal()) {
            refusal = retry_later(503, "not accepting events for now: " + *reason, gateway.back_pressure.retry_after);
        }
    }
    if (refusal) metrics.request(route, refusal->status, std::chrono::microseconds{0});
    return refusal;
}

http_router::deferred_handler gateway_server::state::measured(std::string route, http_router::deferred_handler handler) {
    return [this, route = std::move(route), handler = std::move(handler)](const http_request& request, http_responder answer) {
        {
            std::lock_guard lock(handlers_mutex);
            ++handlers_running;
        }
        const auto began = std::chrono::steady_clock::now();
        // Runs once, when the handler answers (or loses its responder: then with a 500).
        handler(request, http_responder([this, route, began, answer = std::move(answer)](http_response&& response) {
            metrics.request(route, response.status,
                            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began));
            // While draining, keep-alive clients are told to go: the server can then close at once.
            if (draining) response.headers.emplace_back("Connection", "close");
            answer(std::move(response));
            {
                std::lock_guard lock(handlers_mutex);
                --handlers_running;
            }
            handlers_done.notify_all();
        }));
    };
}

void gateway_server::state::add_health_routes() {
    routes.add("GET", "/health/live", [](const http_request&) { return json_response(200, {{"status", "live"}}); });
    routes.add("GET", "/health/ready", [this](const http_request&) {
        if (draining) return json_response(503, {{"status", "not ready"}, {"reason", "shutting down"}});
        if (const auto reason = pressure.refusal()) return json_response(503, {{"status", "not ready"}, {"reason", *reason}});
        return json_response(200, {{"status", "ready"}});
    });
    routes.add("GET", "/health/detailed", [this](const http_request&) {
        const auto relay_state = publisher_relay.counters();
        const auto reading = pressure.last();
        const auto refusal = pressure.refusal();
        const auto writes = writer.counters();
        const auto& bp = gateway.back_pressure;
        return json_response(200, {
            {"status", draining ? "shutting down" : refusal ? "refusing writes" : "ready"},
            {"back_pressure", {{"refusing_writes", refusal.has_value()}, {"reason", refusal.value_or("")},
                               {"backlog", reading.backlog}, {"max_backlog_events", bp.max_backlog_events},
                               {"free_disk_bytes", reading.free_disk_bytes}, {"min_free_disk_bytes", bp.min_free_disk_bytes}}},
            {"relay", {{"running", publisher_relay.running()}, {"lease_held", relay_state.lease_held},
                       {"published", relay_state.published}, {"pending", relay_state.pending},
                       {"consecutive_failures", relay_state.consecutive_failures}, {"last_error", relay_state.last_error}}},
            {"writes", {{"transactions", writes.transactions}, {"committed", writes.committed},
                        {"failed", writes.failed}, {"largest", writes.largest}}},
            {"event_types", gateway.event_types.size()},
            {"allow_unknown_event_types", gateway.allow_unknown_event_types},
        });
    });
    routes.add("GET", "/metrics", [this](const http_request&) {
        const auto reading = pressure.last();
        const auto writes = writer.counters();
        return http_response{200, std::string(metrics_text::content_type),
                             metrics_page(metrics.snapshot(), reading.backlog, reading.free_disk_bytes,
                                          pressure.refusal().has_value(), writes.transactions, writes.committed),
                             {}};
    });
    routes.add("GET", "/api/openapi.json", [](const http_request&) {
        return http_response{200, "application/json", std::string(gateway_openapi_document), {}};
    });
}

void gateway_server::state::housekeeping() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_forget) return;
    next_forget = now + forget_interval;
    const auto cutoff = std::chrono::system_clock::now() - gateway.idempotency_retention;
    std::size_t forgotten = 0;
    for (int pass = 0; pass < 10; ++pass) {
        const auto n = writer.forget_event_ids_before(cutoff, forget_rows_per_pass);
        forgotten += n;
        if (n < forget_rows_per_pass) break;
    }
    if (forgotten > 0) log->info("gateway: forgot {} event ids accepted more than {} h ago", forgotten, gateway.idempotency_retention.count());
}

gateway_server::gateway_server(config settings, gateway_settings gateway)
    : state_(std::make_unique<state>(std::move(settings), std::move(gateway))) {
    state_->add_event_routes();
    state_->add_health_routes();
    state_->publisher_relay.start();
    state_->pressure.start();
}

gateway_server::~gateway_server() { stop(); }

int gateway_server::start(const listen_address& address) {
    auto& s = *state_;
    std::lock_guard lock(s.lifecycle);
    if (s.http || s.stopped) throw usage_error("gateway: already started");
    auto http = std::make_unique<http_server>(address, s.routes, s.settings.http, s.log);
    http->start();
    s.http = std::move(http);
    return s.http->port();
}

bool gateway_server::stop() noexcept {
    auto& s = *state_;
    try {
        std::lock_guard lock(s.lifecycle);
        if (s.stopped) return s.flushed;
        s.stopped = true;
        const auto deadline = std::chrono::steady_clock::now() + s.gateway.shutdown_timeout;
        s.draining = true;  // new requests: 503 with Connection: close; readiness: 503
        {
            std::unique_lock handlers(s.handlers_mutex);
            s.handlers_done.wait_until(handlers, deadline, [&s] { return s.handlers_running == 0; });
        }
        if (s.http) {
            // The answers of the last handlers go out, and clients told to close do, before the
            // sockets close: bounded by the deadline, checked every 10 ms.
            while (s.http->counters().open_connections > 0 && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds{10});
            }
            s.http->stop();
        }
        s.pressure.stop();
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        const auto remaining = std::max(left, std::chrono::milliseconds{0});
        s.flushed = !s.publisher_relay.running() || s.publisher_relay.wait_until_published(remaining);
        s.publisher_relay.stop(remaining);
        const auto c = s.publisher_relay.counters();
        s.log->info("gateway: stopped; published {}, pending {}{}", c.published, c.pending,
                    s.flushed ? "" : " (the rest stays in the outbox for the next start)");
        return s.flushed;
    } catch (const std::exception& e) {
        s.log->error("gateway: stopping: {}", e.what());
        return false;
    }
}

http_response gateway_server::handle(http_request request) const {
    return state_->routes.dispatch(std::move(request), state_->settings.http.max_body_bytes);
}

relay& gateway_server::publisher_relay() noexcept { return state_->publisher_relay; }

void gateway_server::refresh_back_pressure() noexcept { state_->pressure.refresh(); }

}  // namespace domain_events::gateway
