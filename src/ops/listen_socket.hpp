#pragma once
// The HTTP server's listening socket: bound here, before libmicrohttpd starts, so that a bind
// error names the address and port 0 can report the port the kernel chose.
#include <unistd.h>

#include <utility>

#include "domain_events/ops/http_server.hpp"

namespace domain_events::detail {

// A listening socket, closed unless handed over (libmicrohttpd closes it when it stops).
class listen_socket {
public:
    explicit listen_socket(int fd) noexcept : fd_(fd) {}
    ~listen_socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    listen_socket(listen_socket&& other) noexcept : fd_(other.release()) {}
    listen_socket(const listen_socket&) = delete;
    listen_socket& operator=(const listen_socket&) = delete;
    listen_socket& operator=(listen_socket&&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

/**
 * @brief Binds and listens on `address` (SO_REUSEADDR, backlog 1024); `port` gets the port bound.
 * @throws config_error naming the address when it is not this machine's or cannot be listened on.
 */
[[nodiscard]] listen_socket bind_listener(const listen_address& address, int& port);

}  // namespace domain_events::detail
