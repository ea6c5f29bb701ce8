#include "domain_events/health_server.hpp"

#include <spdlog/spdlog.h>

#include "domain_events/error.hpp"
#include "domain_events/metrics_text.hpp"

namespace domain_events {
namespace {

// Compares without stopping at the first different byte, so response times do not reveal how
// much of a guessed token was right.
bool same_token(std::string_view given, std::string_view expected) {
    if (expected.empty()) return false;
    unsigned char difference = given.size() == expected.size() ? 0 : 1;
    for (std::size_t i = 0; i < given.size(); ++i) {
        difference |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
    }
    return difference == 0;
}

}  // namespace

struct health_server::impl {
    impl(listen_address address, health_checks c, std::string token, std::shared_ptr<spdlog::logger> logger,
         http_limits limits)
        : checks(std::move(c)), admin_token(std::move(token)), log(logger ? std::move(logger) : spdlog::default_logger()),
          routes(log), server(std::move(address), routes, limits, log) {}

    health_checks checks;
    std::string admin_token;
    std::shared_ptr<spdlog::logger> log;
    http_router routes;
    http_server server;  // serves `routes`, declared before it
    bool started = false;

    void require_not_started(const std::string& route) const {
        if (started) throw usage_error("health_server: route " + route + " added after start()");
    }

    // Runs on the headers alone, so an unauthenticated client cannot make the server read a body.
    std::optional<http_response> refuse_without_token(const http_request& request) const {
        if (admin_token.empty()) {
            return json_error(403, "mutating endpoints are off: no DOMAIN_EVENTS_ADMIN_TOKEN is configured");
        }
        const auto header = request.header("Authorization");
        constexpr std::string_view scheme = "Bearer ";
        if (!header.starts_with(scheme) || !same_token(std::string_view(header).substr(scheme.size()), admin_token)) {
            log->warn("http {} {}: refused, no valid admin token", request.method, request.path);
            return json_error(403, "needs Authorization: Bearer <DOMAIN_EVENTS_ADMIN_TOKEN>");
        }
        return std::nullopt;
    }
};

health_server::health_server(listen_address address, health_checks checks, std::string admin_token,
                             std::shared_ptr<spdlog::logger> logger, http_limits limits) {
    if (!checks.ready || !checks.detailed || !checks.metrics) {
        throw usage_error("health_server: health_checks.ready, .detailed and .metrics must all be set");
    }
    impl_ = std::make_unique<impl>(std::move(address), std::move(checks), std::move(admin_token), std::move(logger), limits);
    auto& i = *impl_;
    get("/health/live", [](const auto&) { return json_response(200, {{"status", "live"}}); });
    get("/health/ready", [&i](const auto&) {
        const auto r = i.checks.ready();
        return r.ready ? json_response(200, {{"status", "ready"}})
                       : json_response(503, {{"status", "not ready"}, {"reason", r.reason}});
    });
    get("/health/detailed", [&i](const auto&) { return json_response(200, i.checks.detailed()); });
    get("/metrics", [&i](const auto&) {
        return http_response{200, std::string(metrics_text::content_type), i.checks.metrics(), {}};
    });
}

health_server::~health_server() { stop(); }

void health_server::get(const std::string& path_regex, handler h) {
    impl_->require_not_started("GET " + path_regex);
    impl_->routes.add("GET", path_regex, std::move(h));
}

void health_server::post_admin(const std::string& path_regex, handler h) {
    impl_->require_not_started("POST " + path_regex);
    auto& i = *impl_;
    impl_->routes.add("POST", path_regex, std::move(h),
                               {.admit = [&i](const http_request& request) { return i.refuse_without_token(request); }});
}

void health_server::start() {
    if (impl_->started) throw usage_error("health_server: already started");
    impl_->server.start();
    impl_->started = true;
}

void health_server::stop() noexcept { impl_->server.stop(); }

int health_server::port() const noexcept { return impl_->server.port(); }

http_server_counters health_server::counters() const noexcept { return impl_->server.counters(); }

}  // namespace domain_events
