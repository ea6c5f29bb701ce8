#include "domain_events/ops/http_server.hpp"

#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <thread>

#include "ops/connection_deadlines.hpp"
#include "ops/listen_socket.hpp"
#include "ops/pending_answers.hpp"
#include "ops/open_files.hpp"
#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"

namespace domain_events {
namespace {

using clock = detail::connection_deadlines::clock;

// What one request collects between libmicrohttpd's calls: its headers first, then its body.
struct request_state {
    http_request request;
    const http_router::route* route = nullptr;
    std::optional<http_response> refusal;  // decided, sent when the request ends
    bool answered = false;
    std::shared_ptr<detail::pending_answer> pending;  // once its handler has run
    bool resumed = false;  // its connection was suspended for the answer, which is now being sent
};

// Whether the headers announce a body (libmicrohttpd calls once more either way).
bool announces_body(const http_request& request) {
    const auto length = request.header("Content-Length");
    return (!length.empty() && length != "0") || request.headers.contains("Transfer-Encoding");
}

struct daemon_deleter {
    void operator()(MHD_Daemon* d) const noexcept { MHD_stop_daemon(d); }
};

// Headers or query parameters into `Map` (a value may be absent: `?flag`).
template <class Map>
MHD_Result collect(void* into, MHD_ValueKind, const char* key, const char* value) noexcept {
    try {
        (*static_cast<Map*>(into))[key] = value ? value : "";
    } catch (...) {
        return MHD_NO;
    }
    return MHD_YES;
}

// The peer's IP address as text, for per-client policies (a gateway's rate limit); empty when unknown.
std::string client_address(MHD_Connection* connection) {
    const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == nullptr || info->client_addr == nullptr) return {};
    char text[INET6_ADDRSTRLEN] = {};
    const auto* address = info->client_addr;
    const void* raw = address->sa_family == AF_INET6
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
    return inet_ntop(address->sa_family, raw, text, sizeof text) != nullptr ? std::string(text) : std::string{};
}

}  // namespace

struct http_server::impl {
    listen_address address;
    http_limits limits;
    std::shared_ptr<spdlog::logger> log;
    const http_router& routes;
    detail::connection_deadlines deadlines{limits.request_timeout};
    std::shared_ptr<detail::pending_answers> answers = std::make_shared<detail::pending_answers>();
    std::unique_ptr<MHD_Daemon, daemon_deleter> daemon;
    int port = 0;
    std::atomic<std::uint64_t> requests{0};
    std::mutex sweeper_mutex;
    std::condition_variable sweeper_wake;
    bool stopping = false;
    std::thread sweeper;

    impl(listen_address a, const http_router& r, http_limits l, std::shared_ptr<spdlog::logger> logger)
        : address(std::move(a)), limits(l), log(logger ? std::move(logger) : library_logger()), routes(r),
          deadlines(limits.request_timeout) {}

    bool queue(MHD_Connection* connection, request_state& state, const http_response& answer) noexcept {
        state.answered = true;
        ++requests;
        MHD_Response* response = MHD_create_response_from_buffer(answer.body.size(), const_cast<char*>(answer.body.data()),
                                                                 MHD_RESPMEM_MUST_COPY);
        if (response == nullptr) return false;
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, answer.content_type.c_str());
        for (const auto& [name, value] : answer.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
        const auto queued = MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
        MHD_destroy_response(response);
        return queued == MHD_YES;
    }

    // The headers have arrived: route, or refuse before a byte of the body is read.
    MHD_Result begin(MHD_Connection* connection, const char* url, const char* method, void** req_cls) noexcept {
        try {
            auto state = std::make_unique<request_state>();
            state->request.method = method;
            state->request.path = url;
            auto& r = state->request;
            MHD_get_connection_values(connection, MHD_HEADER_KIND, collect<decltype(r.headers)>, &r.headers);
            MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect<decltype(r.query)>, &r.query);
            r.remote_address = client_address(connection);
            std::optional<http_response> refusal;
            state->route = routes.find(state->request, limits.max_body_bytes, refusal);
            auto& s = *state;
            *req_cls = state.release();
            if (!refusal) return MHD_YES;
            // With a body coming, answer now: libmicrohttpd then closes instead of reading it.
            // Without one, answer when the request ends, so the connection stays open for the next.
            if (announces_body(s.request)) return queue(connection, s, *refusal) ? MHD_YES : MHD_NO;
            s.refusal = std::move(refusal);
            return MHD_YES;
        } catch (...) {
            return MHD_NO;  // out of memory: drop the connection
        }
    }

    MHD_Result on_request(MHD_Connection* connection, const char* url, const char* method, const char* upload_data,
                          std::size_t* upload_data_size, void** req_cls) noexcept {
        if (*req_cls == nullptr) return begin(connection, url, method, req_cls);
        auto& state = *static_cast<request_state*>(*req_cls);
        if (state.answered) {
            *upload_data_size = 0;  // refused already: the rest of the body is dropped unread
            return MHD_YES;
        }
        if (*upload_data_size > 0) {
            const auto size = *upload_data_size;
            *upload_data_size = 0;
            if (state.refusal) return MHD_YES;  // past the limit: the rest is read and dropped
            try {
                if (state.request.body.size() + size > limits.max_body_bytes) {
                    // A chunked body: the 413 goes out once the client has finished sending (or
                    // the request timeout cuts it off), so that it is not lost in a reset.
                    state.refusal = body_too_large(limits.max_body_bytes);
                    state.request.body = {};
                    return MHD_YES;
                }
                state.request.body.append(upload_data, size);
            } catch (...) {
                return MHD_NO;  // out of memory: drop the connection
            }
            return MHD_YES;
        }
        try {
            if (state.refusal) return queue(connection, state, *state.refusal) ? MHD_YES : MHD_NO;
            return answer(connection, state);
        } catch (...) {
            return MHD_NO;
        }
    }

    // Runs the handler and sends its answer, or suspends the connection until the answer comes
    // (libmicrohttpd calls again once it is resumed).
    MHD_Result answer(MHD_Connection* connection, request_state& state) {
        auto& shared = *answers;
        if (state.pending) {  // resumed: the answer is in
            std::optional<http_response> answer;
            {
                std::lock_guard lock(shared.mutex);
                answer = std::move(state.pending->answer);
                --shared.suspended;
                ++shared.sending;
                state.resumed = true;
                shared.changed.notify_all();
            }
            return queue(connection, state, answer ? *answer : json_error(500, "internal error")) ? MHD_YES : MHD_NO;
        }
        // A plain route answers on this call: no responder, no shared state.
        if (!http_router::defers(*state.route)) {
            return queue(connection, state, routes.respond(*state.route, state.request)) ? MHD_YES : MHD_NO;
        }
        state.pending = std::make_shared<detail::pending_answer>();
        routes.respond(*state.route, state.request,
                       http_responder([answers = answers, pending = state.pending](http_response&& a) {
                           answers->deliver(*pending, std::move(a));
                       }));
        std::unique_lock lock(shared.mutex);
        if (!state.pending->answer && shared.stopping) state.pending->answer = json_error(503, "the server is stopping; retry");
        if (state.pending->answer) {
            auto answer = std::move(*state.pending->answer);  // still engaged: a late answer is dropped
            lock.unlock();
            return queue(connection, state, answer) ? MHD_YES : MHD_NO;
        }
        state.pending->suspended = connection;
        shared.waiting.insert(state.pending.get());
        ++shared.suspended;
        MHD_suspend_connection(connection);
        return MHD_YES;
    }

    // Before the daemon stops (it must not with a connection suspended): the deferred answers
    // still missing after `request_timeout` are 503, and every suspended connection is resumed.
    void settle_pending_answers() noexcept {
        auto& shared = *answers;
        std::unique_lock lock(shared.mutex);
        shared.stopping = true;
        shared.changed.wait_for(lock, limits.request_timeout, [&] { return shared.waiting.empty(); });
        if (!shared.waiting.empty()) {
            log->warn("http: {} deferred answers still missing at stop: answered 503", shared.waiting.size());
        }
        std::vector<MHD_Connection*> resume;
        for (auto* pending : std::exchange(shared.waiting, {})) {
            pending->answer = json_error(503, "the server is stopping; retry");
            resume.push_back(std::exchange(pending->suspended, nullptr));
        }
        lock.unlock();
        for (auto* connection : resume) MHD_resume_connection(connection);
        lock.lock();
        // Then until the resumed answers have gone out: stopping the daemon closes every connection.
        if (!shared.changed.wait_for(lock, std::chrono::seconds{5}, [&] { return shared.suspended == 0 && shared.sending == 0; })) {
            log->error("http: at stop, {} connections still suspended and {} deferred answers not sent whole",
                       shared.suspended, shared.sending);
        }
    }

    void on_completed(MHD_Connection* connection, void** req_cls) noexcept {
        if (const auto* state = static_cast<request_state*>(*req_cls); state != nullptr && state->resumed) {
            std::lock_guard lock(answers->mutex);
            --answers->sending;
            answers->changed.notify_all();
        }
        delete static_cast<request_state*>(*req_cls);
        *req_cls = nullptr;
        const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (info != nullptr && info->socket_context != nullptr) {
            deadlines.answered(*static_cast<detail::connection_deadlines::token*>(info->socket_context), clock::now());
        }
    }

    void on_connection(MHD_Connection* connection, void** socket_context, MHD_ConnectionNotificationCode code) noexcept {
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
            const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (info == nullptr) return;
            // Small answers go out at once instead of waiting for the peer's delayed ACK (~40 ms).
            const int yes = 1;
            setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
            try {
                *socket_context = new detail::connection_deadlines::token(deadlines.opened(info->connect_fd, clock::now()));
            } catch (...) {
                *socket_context = nullptr;  // out of memory: libmicrohttpd's idle timeout still applies
            }
        } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != nullptr) {
            auto* token = static_cast<detail::connection_deadlines::token*>(*socket_context);
            deadlines.closed(*token);
            delete token;
            *socket_context = nullptr;
        }
    }

    void sweep() noexcept {
        const auto period = std::clamp(limits.request_timeout / 4, std::chrono::milliseconds{20}, std::chrono::milliseconds{250});
        std::unique_lock lock(sweeper_mutex);
        while (!sweeper_wake.wait_for(lock, period, [this] { return stopping; })) {
            deadlines.cut_overdue(clock::now());
        }
    }

    // The C callbacks: each is noexcept through the member it calls.
    static MHD_Result access(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                             const char* upload_data, std::size_t* upload_data_size, void** req_cls) noexcept {
        return static_cast<impl*>(cls)->on_request(connection, url, method, upload_data, upload_data_size, req_cls);
    }
    static void completed(void* cls, MHD_Connection* connection, void** req_cls, MHD_RequestTerminationCode) noexcept {
        static_cast<impl*>(cls)->on_completed(connection, req_cls);
    }
    static void notified(void* cls, MHD_Connection* connection, void** socket_context,
                         MHD_ConnectionNotificationCode code) noexcept {
        static_cast<impl*>(cls)->on_connection(connection, socket_context, code);
    }
};

namespace {

// libmicrohttpd reports mostly what clients did wrong: debug level, so a hostile client cannot
// flood the log.
void log_handler(void* cls, const char* format, va_list arguments) noexcept {
    char text[512];
    std::vsnprintf(text, sizeof text, format, arguments);
    try {
        static_cast<spdlog::logger*>(cls)->debug("http: {}", text);
    } catch (...) {
    }
}

}  // namespace

http_server::http_server(listen_address address, const http_router& routes, http_limits limits,
                         std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<impl>(std::move(address), routes, limits, std::move(logger))) {}

http_server::~http_server() { stop(); }

void http_server::start() {
    auto& i = *impl_;
    if (i.daemon) throw usage_error("http_server: already started");
    auto listener = detail::bind_listener(i.address, i.port);
    const auto idle_seconds = static_cast<unsigned>((i.limits.request_timeout.count() + 999) / 1000 + 1);
    const auto memory = std::max<std::size_t>(i.limits.max_header_bytes + 4096, 8192);
    const unsigned threads = std::max(1u, i.limits.threads);
    const unsigned connections = detail::make_room_for_connections(std::max(1u, i.limits.max_connections), *i.log);
    const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    i.daemon.reset(MHD_start_daemon(
        flags, 0, nullptr, nullptr, &impl::access, &i,
        MHD_OPTION_LISTEN_SOCKET, listener.get(),
        MHD_OPTION_CONNECTION_LIMIT, connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds,
        MHD_OPTION_NOTIFY_COMPLETED, &impl::completed, &i,
        MHD_OPTION_NOTIFY_CONNECTION, &impl::notified, &i,
        MHD_OPTION_EXTERNAL_LOGGER, &log_handler, i.log.get(),
        threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
        MHD_OPTION_END));
    if (!i.daemon) throw config_error("http endpoint " + i.address.host + ":" + std::to_string(i.port) + ": cannot start serving");
    listener.release();
    i.stopping = false;
    i.sweeper = std::thread([&i] { i.sweep(); });
    i.log->info("http endpoint listening on {}:{} (at most {} connections, {} ms per request)", i.address.host, i.port,
                connections, i.limits.request_timeout.count());
}

void http_server::stop() noexcept {
    auto& i = *impl_;
    if (!i.daemon) return;
    i.settle_pending_answers();
    i.daemon.reset();  // waits for the handlers running, closes every connection
    {
        std::lock_guard lock(i.sweeper_mutex);
        i.stopping = true;
    }
    i.sweeper_wake.notify_all();
    if (i.sweeper.joinable()) i.sweeper.join();
}

int http_server::port() const noexcept { return impl_->port; }

http_server_counters http_server::counters() const noexcept {
    return {impl_->requests.load(), impl_->deadlines.cut_total(), impl_->deadlines.open()};
}

}  // namespace domain_events
