#include "domain_events/ops/health_server.hpp"

#include <spdlog/spdlog.h>

#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/ops/metrics_text.hpp"
#include "ops/log_throttle.hpp"

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

health_server::health_server(listen_address address, health_checks checks, std::string admin_token,
                             std::shared_ptr<spdlog::logger> logger, http_limits limits)
    : detail::health_routes(logger ? logger : library_logger()),
      http_server(std::move(address), routes, limits, logger ? logger : library_logger()),
      checks_(std::move(checks)), admin_token_(std::move(admin_token)),
      log_(logger ? std::move(logger) : library_logger()),
      refusals_(std::make_shared<detail::log_throttle>(std::chrono::minutes{1})) {
    if (!checks_.ready || !checks_.detailed || !checks_.metrics) {
        throw usage_error("health_server: health_checks.ready, .detailed and .metrics must all be set");
    }
    get("/health/live", [](const auto&) { return json_response(200, {{"status", "live"}}); });
    get("/health/ready", [this](const auto&) {
        const auto r = checks_.ready();
        return r.ready ? json_response(200, {{"status", "ready"}})
                       : json_response(503, {{"status", "not ready"}, {"reason", r.reason}});
    });
    get("/health/detailed", [this](const auto&) { return json_response(200, checks_.detailed()); });
    get("/metrics", [this](const auto&) {
        return http_response{200, std::string(metrics_text::content_type), checks_.metrics(), {}};
    });
}

health_server::~health_server() { stop(); }

void health_server::require_not_started(const std::string& route) const {
    if (port() != 0) throw usage_error("health_server: route " + route + " added after start()");
}

void health_server::get(const std::string& path_regex, handler h) {
    require_not_started("GET " + path_regex);
    routes.add("GET", path_regex, std::move(h));
}

void health_server::post_admin(const std::string& path_regex, handler h) {
    require_not_started("POST " + path_regex);
    // Runs on the headers alone, so an unauthenticated client cannot make the server read a body.
    routes.add("POST", path_regex, std::move(h), {.admit = [this, path_regex](const http_request& request) -> std::optional<http_response> {
        if (admin_token_.empty()) {
            return json_error(403, "mutating endpoints are off: no DOMAIN_EVENTS_ADMIN_TOKEN is configured");
        }
        const auto header = request.header("Authorization");
        constexpr std::string_view scheme = "Bearer ";
        if (!header.starts_with(scheme) || !same_token(std::string_view(header).substr(scheme.size()), admin_token_)) {
            // Any client can repeat this at will: a line a minute, with the count, and the
            // route's pattern rather than the path it sent.
            if (std::uint64_t unlogged = 0; refusals_->admit(std::chrono::steady_clock::now(), unlogged)) {
                log_->warn("http POST {}: refused, no valid admin token ({} more refused since the last such line)",
                           path_regex, unlogged);
            }
            return json_error(403, "needs Authorization: Bearer <DOMAIN_EVENTS_ADMIN_TOKEN>");
        }
        return std::nullopt;
    }});
}

}  // namespace domain_events
