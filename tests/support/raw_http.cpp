#include "raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <utility>

namespace domain_events::testing {
namespace {

using clock = std::chrono::steady_clock;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

}  // namespace

raw_connection::raw_connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

int raw_connection::local_port() const noexcept {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
    return ntohs(address.sin_port);
}

raw_connection::~raw_connection() {
    if (fd_ >= 0) ::close(fd_);
}

raw_connection::raw_connection(raw_connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pending_(std::move(other.pending_)) {}

bool raw_connection::send(std::string_view bytes) noexcept {
    while (!bytes.empty() && fd_ >= 0) {
        const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return bytes.empty();
}

std::string raw_connection::read_until_closed(std::chrono::milliseconds timeout) noexcept {
    std::string out = std::exchange(pending_, {});
    const auto deadline = clock::now() + timeout;
    char buffer[16384];
    while (fd_ >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) break;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        const auto got = ::recv(fd_, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
}

std::optional<std::string> raw_connection::read_response(std::chrono::milliseconds timeout) noexcept {
    const auto deadline = clock::now() + timeout;
    char buffer[16384];
    while (fd_ >= 0) {
        const auto end = pending_.find("\r\n\r\n");
        if (end != std::string::npos) {
            const auto head = std::string_view(pending_).substr(0, end + 4);
            std::size_t length = 0;
            const auto text = header_of(head, "Content-Length");
            std::from_chars(text.data(), text.data() + text.size(), length);
            if (pending_.size() >= end + 4 + length) {
                auto response = pending_.substr(0, end + 4 + length);
                pending_.erase(0, end + 4 + length);
                return response;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) return std::nullopt;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
        const auto got = ::recv(fd_, buffer, sizeof buffer, 0);
        if (got <= 0) return std::nullopt;
        pending_.append(buffer, static_cast<std::size_t>(got));
    }
    return std::nullopt;
}

bool raw_connection::closed_by_peer(std::chrono::milliseconds timeout) noexcept {
    const auto deadline = clock::now() + timeout;
    char buffer[4096];
    while (fd_ >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        const auto got = ::recv(fd_, buffer, sizeof buffer, 0);
        if (got <= 0) return true;  // 0: closed; < 0: reset
    }
    return true;
}

int status_of(std::string_view response) {
    // "HTTP/1.1 413 ..."
    const auto space = response.find(' ');
    if (space == std::string_view::npos) return 0;
    int status = 0;
    std::from_chars(response.data() + space + 1, response.data() + response.size(), status);
    return status;
}

std::string header_of(std::string_view response, std::string_view name) {
    const auto head = lowered(response.substr(0, response.find("\r\n\r\n")));
    const auto key = "\r\n" + lowered(name) + ":";
    const auto at = head.find(key);
    if (at == std::string::npos) return {};
    auto start = at + key.size();
    const auto end = head.find("\r\n", start);
    while (start < end && response[start] == ' ') ++start;
    return std::string(response.substr(start, (end == std::string::npos ? head.size() : end) - start));
}

std::optional<bool> accepted_socket_has_nodelay(int server_port, int client_port) {
    const auto port_of = [](int fd, auto get) {
        sockaddr_in address{};
        socklen_t length = sizeof address;
        if (get(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || address.sin_family != AF_INET) return -1;
        return static_cast<int>(ntohs(address.sin_port));
    };
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ignored)) {
        int fd = -1;
        const auto name = entry.path().filename().string();
        std::from_chars(name.data(), name.data() + name.size(), fd);
        struct stat info{};
        if (fd < 0 || ::fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
        if (port_of(fd, ::getsockname) != server_port || port_of(fd, ::getpeername) != client_port) continue;
        int on = 0;
        socklen_t length = sizeof on;
        if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &length) != 0) return std::nullopt;
        return on != 0;
    }
    return std::nullopt;
}

bool allow_open_files(unsigned long wanted) noexcept {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
    if (limit.rlim_cur >= wanted) return true;
    if (limit.rlim_max < wanted) return false;
    limit.rlim_cur = wanted;
    return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

}  // namespace domain_events::testing
