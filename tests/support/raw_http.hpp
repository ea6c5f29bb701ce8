#pragma once
// A client that writes HTTP as a hostile or careless one would: any bytes, at any pace, on
// sockets held open as long as the test likes. Loopback only; every wait is bounded.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace domain_events::testing {

/** @brief A TCP connection to 127.0.0.1:port, closed on destruction. */
class raw_connection {
public:
    explicit raw_connection(int port);
    ~raw_connection();
    raw_connection(raw_connection&& other) noexcept;
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;
    raw_connection& operator=(raw_connection&&) = delete;

    [[nodiscard]] bool connected() const noexcept { return fd_ >= 0; }
    /** @brief This end's port (0 when not connected). */
    [[nodiscard]] int local_port() const noexcept;
    /** @brief Writes all of `bytes`; false when the peer has closed (or reset) the connection. */
    bool send(std::string_view bytes) noexcept;
    /** @brief Everything received until the peer closes or `timeout` passes. */
    [[nodiscard]] std::string read_until_closed(std::chrono::milliseconds timeout) noexcept;
    /** @brief One response (headers and a Content-Length body), or nullopt within `timeout`. */
    [[nodiscard]] std::optional<std::string> read_response(std::chrono::milliseconds timeout) noexcept;
    /** @brief True when the peer closed the connection within `timeout`. */
    [[nodiscard]] bool closed_by_peer(std::chrono::milliseconds timeout) noexcept;

private:
    int fd_ = -1;
    std::string pending_;  // received past the last response read
};

/** @brief The status code of a response's first line, or 0. */
[[nodiscard]] int status_of(std::string_view response);
/** @brief The value of header `name` (any case) in a response, or empty. */
[[nodiscard]] std::string header_of(std::string_view response, std::string_view name);

/**
 * @brief For a server in this process: whether the socket it accepted from the client at
 *        `client_port` to its own `server_port` has TCP_NODELAY set; nullopt when none is found.
 */
[[nodiscard]] std::optional<bool> accepted_socket_has_nodelay(int server_port, int client_port);

/** @brief Raises this process's open-file limit to at least `wanted`; false when the hard limit is lower. */
bool allow_open_files(unsigned long wanted) noexcept;

}  // namespace domain_events::testing
