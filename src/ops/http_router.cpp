#include "domain_events/ops/http_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>

#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"

namespace domain_events {
namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_word(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trimmed(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// `application/json`, `application/problem+json`, with or without parameters (`; charset=utf-8`).
bool is_json_media_type(std::string_view content_type) noexcept {
    const auto media = trimmed(content_type.substr(0, content_type.find(';')));
    if (same_word(media, "application/json")) return true;
    constexpr std::string_view suffix = "+json";
    const auto slash = media.find('/');
    return slash != std::string_view::npos && same_word(media.substr(0, slash), "application") &&
           media.size() > suffix.size() && same_word(media.substr(media.size() - suffix.size()), suffix);
}

// The declared length, or nullopt when absent or not a plain decimal number (MHD refuses those).
std::optional<std::uint64_t> declared_length(const http_request& request) {
    const auto text = request.header("Content-Length");
    std::uint64_t length = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return length;
}

}  // namespace

bool header_name_less::operator()(std::string_view a, std::string_view b) const noexcept {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](char x, char y) { return lower(x) < lower(y); });
}

std::string http_request::param(std::string_view name, std::string fallback) const {
    const auto found = query.find(name);
    return found == query.end() ? fallback : found->second;
}

std::string http_request::header(std::string_view name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
}

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
        if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
            address.host = address.host.substr(1, address.host.size() - 2);  // [::1]:9464
        }
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
    return {status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n', {}};
}

http_response json_error(int status, std::string_view message, std::string_view field) {
    nlohmann::json body{{"error", message}};
    if (!field.empty()) body["field"] = field;
    return json_response(status, body);
}

http_response body_too_large(std::size_t max_body_bytes) {
    return json_error(413, "the body is over the limit of " + std::to_string(max_body_bytes) + " bytes");
}

struct http_router::route {
    std::string method;
    std::string pattern;
    std::regex path;
    handler run;                   // a plain route's
    deferred_handler run_deferred;  // or a deferred one's
    route_options options;
};

namespace {

http_response internal_error() { return http_response{500, "application/json", "{\"error\":\"internal error\"}\n", {}}; }

}  // namespace

struct http_router::impl {
    std::shared_ptr<spdlog::logger> log;
    std::vector<route> routes;
};

http_router::http_router(std::shared_ptr<spdlog::logger> logger) : impl_(std::make_unique<impl>()) {
    impl_->log = logger ? std::move(logger) : library_logger();
}
http_router::~http_router() = default;
http_router::http_router(http_router&&) noexcept = default;
http_router& http_router::operator=(http_router&&) noexcept = default;

void http_router::add(std::string method, const std::string& path_regex, handler h, route_options options) {
    impl_->routes.push_back({std::move(method), path_regex, std::regex(path_regex), std::move(h), {}, std::move(options)});
}

void http_router::add_deferred(std::string method, const std::string& path_regex, deferred_handler h, route_options options) {
    impl_->routes.push_back({std::move(method), path_regex, std::regex(path_regex), {}, std::move(h), std::move(options)});
}

const http_router::route* http_router::find(http_request& request, std::size_t max_body_bytes,
                                            std::optional<http_response>& refusal) const {
    // Before any pattern sees it: std::regex recurses about once per character (http_limits.hpp).
    if (request.path.size() > http_max_path_bytes) {
        refusal = json_error(414, "the path is over the limit of " + std::to_string(http_max_path_bytes) + " bytes");
        return nullptr;
    }
    const std::string_view method = request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
    const route* found = nullptr;
    std::smatch match;
    std::string allowed;
    for (const auto& r : impl_->routes) {
        std::smatch candidate;
        if (!std::regex_match(request.path, candidate, r.path)) continue;
        if (r.method == method && found == nullptr) {
            found = &r;
            match = std::move(candidate);
        }
        if (allowed.find(r.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + r.method;
    }
    if (found == nullptr) {
        if (allowed.empty()) {
            refusal = json_error(404, "no such resource");
        } else {
            if (allowed.find("GET") != std::string::npos) allowed += ", HEAD";
            refusal = json_error(405, "method not allowed here; see the Allow header");
            refusal->headers.emplace_back("Allow", allowed);
        }
        return nullptr;
    }
    // The gate first: a client it refuses learns nothing of the limits.
    for (std::size_t i = 1; i < match.size(); ++i) request.captures.push_back(match[i].str());
    if (found->options.admit) {
        try {
            refusal = found->options.admit(request);
        } catch (const std::exception& e) {
            impl_->log->error("http {} {}: the route's gate failed: {}", request.method, found->pattern, e.what());
            refusal = json_error(500, "internal error");
        }
        if (refusal) return nullptr;
    }
    const auto encoding = trimmed(request.header("Content-Encoding"));
    if (!encoding.empty() && !same_word(encoding, "identity")) {
        refusal = json_error(415, "Content-Encoding is not accepted: send the body uncompressed");
        return nullptr;
    }
    // libmicrohttpd decodes chunked only; with any other coding it would wait for the client to
    // close, and answer nothing until the request timeout.
    if (const auto transfer = request.headers.find("Transfer-Encoding");
        transfer != request.headers.end() && !same_word(trimmed(transfer->second), "chunked")) {
        refusal = json_error(415, "Transfer-Encoding other than chunked is not accepted: send the body uncompressed");
        return nullptr;
    }
    const auto length = declared_length(request);
    if (length && *length > max_body_bytes) {
        refusal = body_too_large(max_body_bytes);
        return nullptr;
    }
    const bool may_have_body = (length && *length > 0) || request.headers.contains("Transfer-Encoding");
    if (found->options.json_body && may_have_body && !is_json_media_type(request.header("Content-Type"))) {
        refusal = json_error(415, "the body must be JSON: send Content-Type: application/json");
        return nullptr;
    }
    return found;
}

namespace {

// The route's pattern, not the path: a path may carry what a client typed.
void log_failure(spdlog::logger& log, const http_request& request, const std::string& pattern) noexcept {
    try {
        throw;
    } catch (const std::exception& e) {
        try {
            log.error("http {} {}: {}", request.method, pattern, e.what());
        } catch (...) {
        }
    } catch (...) {
    }
}

}  // namespace

void http_router::respond(const route& found, const http_request& request, const http_responder& answer) const noexcept {
    try {
        if (found.run_deferred) {
            found.run_deferred(request, answer);
        } else {
            answer(found.run(request));
        }
        return;
    } catch (...) {
        log_failure(*impl_->log, request, found.pattern);
    }
    answer(internal_error());
}

bool http_router::defers(const route& found) noexcept { return static_cast<bool>(found.run_deferred); }

http_response http_router::respond(const route& found, const http_request& request) const noexcept {
    try {
        if (!found.run_deferred) return found.run(request);
        auto promised = std::make_shared<std::promise<http_response>>();
        auto answer = promised->get_future();
        respond(found, request, http_responder([promised](http_response&& a) { promised->set_value(std::move(a)); }));
        return answer.get();
    } catch (...) {
        log_failure(*impl_->log, request, found.pattern);
    }
    return internal_error();
}

http_response http_router::dispatch(http_request request, std::size_t max_body_bytes) const {
    if (request.body.size() > max_body_bytes) {
        return body_too_large(max_body_bytes);
    }
    std::optional<http_response> refusal;
    const auto* found = find(request, max_body_bytes, refusal);
    return found ? respond(*found, request) : std::move(*refusal);
}

}  // namespace domain_events
