#include "domain_events/health_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "domain_events/error.hpp"
#include "domain_events/metrics_text.hpp"

namespace domain_events {
namespace {

using namespace std::chrono_literals;

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

void send(httplib::Response& res, const http_response& answer) {
    res.status = answer.status;
    res.set_content(answer.body, answer.content_type.c_str());
}

}  // namespace

listen_address parse_listen_address(std::string_view text, std::string_view what) {
    const auto refuse = [&](const char* why) {
        return config_error(std::string(what) + " '" + std::string(text) + "': " + why +
                            "; expected HOST:PORT or PORT, e.g. 127.0.0.1:9464");
    };
    listen_address address;
    const auto colon = text.rfind(':');
    auto port_text = text;
    if (colon != std::string_view::npos) {
        address.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (address.host.empty()) throw refuse("the host is empty");
    }
    int port = -1;
    const auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (err != std::errc{} || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
        throw refuse("the port must be a number from 0 to 65535");
    }
    address.port = port;
    return address;
}

http_response json_response(int status, const nlohmann::json& body) {
    return {status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n'};
}

struct health_server::impl {
    listen_address address;
    health_checks checks;
    std::string admin_token;
    std::shared_ptr<spdlog::logger> log;
    httplib::Server server;
    int port = 0;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;

    // Every route runs through here: an exception answers 500 instead of httplib's bare reply.
    httplib::Server::Handler wrap(handler h) {
        return [this, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
            try {
                http_request request;
                for (std::size_t i = 1; i < req.matches.size(); ++i) request.captures.push_back(req.matches[i].str());
                for (const auto& [name, value] : req.params) request.query[name] = value;
                send(res, h(request));
            } catch (const std::exception& e) {
                log->warn("http {} {}: {}", req.method, req.path, e.what());
                send(res, json_response(500, {{"error", e.what()}}));
            }
        };
    }
    void require_not_started(const std::string& route) const {
        if (thread.joinable()) throw usage_error("health_server: route " + route + " added after start()");
    }
};

health_server::health_server(listen_address address, health_checks checks, std::string admin_token,
                             std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<impl>()) {
    if (!checks.ready || !checks.detailed || !checks.metrics) {
        throw usage_error("health_server: health_checks.ready, .detailed and .metrics must all be set");
    }
    impl_->address = std::move(address);
    impl_->checks = std::move(checks);
    impl_->admin_token = std::move(admin_token);
    impl_->log = logger ? std::move(logger) : spdlog::default_logger();
    // httplib's default adds SO_REUSEPORT, which lets a second process bind the same port and
    // take half the requests (a standby relay answering for the active one): SO_REUSEADDR only.
    impl_->server.set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    auto& i = *impl_;
    get("/health/live", [](const auto&) { return json_response(200, {{"status", "live"}}); });
    get("/health/ready", [&i](const auto&) {
        const auto r = i.checks.ready();
        return r.ready ? json_response(200, {{"status", "ready"}})
                       : json_response(503, {{"status", "not ready"}, {"reason", r.reason}});
    });
    get("/health/detailed", [&i](const auto&) { return json_response(200, i.checks.detailed()); });
    get("/metrics", [&i](const auto&) {
        return http_response{200, std::string(metrics_text::content_type), i.checks.metrics()};
    });
}

health_server::~health_server() { stop(); }

void health_server::get(const std::string& path_regex, handler h) {
    impl_->require_not_started("GET " + path_regex);
    impl_->server.Get(path_regex, impl_->wrap(std::move(h)));
}

void health_server::post_admin(const std::string& path_regex, handler h) {
    impl_->require_not_started("POST " + path_regex);
    auto& i = *impl_;
    // The token check needs the request's headers, so it goes around the wrapped handler.
    auto guarded = impl_->wrap(std::move(h));
    impl_->server.Post(path_regex, [&i, guarded = std::move(guarded)](const httplib::Request& req, httplib::Response& res) {
        if (i.admin_token.empty()) {
            return send(res, json_response(403, {{"error", "mutating endpoints are off: no DOMAIN_EVENTS_ADMIN_TOKEN is configured"}}));
        }
        const auto header = req.get_header_value("Authorization");
        constexpr std::string_view scheme = "Bearer ";
        if (!header.starts_with(scheme) || !same_token(std::string_view(header).substr(scheme.size()), i.admin_token)) {
            i.log->warn("http {} {}: refused, no valid admin token", req.method, req.path);
            return send(res, json_response(403, {{"error", "needs Authorization: Bearer <DOMAIN_EVENTS_ADMIN_TOKEN>"}}));
        }
        guarded(req, res);
    });
}

void health_server::start() {
    auto& i = *impl_;
    if (i.thread.joinable()) throw usage_error("health_server: already started");
    const auto where = i.address.host + ":" + std::to_string(i.address.port);
    if (i.address.port == 0) {
        i.port = i.server.bind_to_any_port(i.address.host);
        if (i.port < 0) i.port = 0;
    } else if (i.server.bind_to_port(i.address.host, i.address.port)) {
        i.port = i.address.port;
    }
    if (i.port == 0) throw config_error("http endpoint " + where + ": cannot listen there (address in use, or not this host's)");
    i.thread = std::thread([&i] {
        i.server.listen_after_bind();
        {
            std::lock_guard lock(i.mutex);
            i.finished = true;
        }
        i.finished_cv.notify_all();
    });
    i.log->info("http endpoint listening on {}:{}", i.address.host, i.port);
}

void health_server::stop() noexcept {
    auto& i = *impl_;
    if (!i.thread.joinable()) return;
    // httplib ignores stop() until its loop has begun: repeat it until the thread says it ended
    // (the first try nearly always suffices).
    std::unique_lock lock(i.mutex);
    for (int attempt = 0; attempt < 200 && !i.finished; ++attempt) {
        i.server.stop();
        i.finished_cv.wait_for(lock, 50ms, [&i] { return i.finished; });
    }
    if (!i.finished) i.log->error("http endpoint on port {}: did not stop within 10 s; waiting for it", i.port);
    lock.unlock();
    i.thread.join();
}

int health_server::port() const noexcept { return impl_->port; }

}  // namespace domain_events
