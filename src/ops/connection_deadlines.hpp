#pragma once
// Total-time deadlines for an HTTP server's connections. libmicrohttpd's own timeout counts
// from the last byte received, so a client sending one byte a second holds a connection for
// ever; here each request must have arrived and been answered within the limit of the
// connection's opening or its previous answer, and a connection past it is shut down.
#include <chrono>
#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>

namespace domain_events::detail {

class connection_deadlines {
public:
    using clock = std::chrono::steady_clock;

    struct entry {
        int socket = -1;
        clock::time_point since;  ///< the opening, or the previous answer
        bool cut = false;         ///< shut down already: not again
    };
    using token = std::list<entry>::iterator;

    explicit connection_deadlines(std::chrono::milliseconds limit) noexcept : limit_(limit) {}

    /** @brief A connection opened on `socket`; its clock starts now. */
    token opened(int socket, clock::time_point now);
    /** @brief The connection's request was answered: its clock restarts for the next one. */
    void answered(token t, clock::time_point now) noexcept;
    /** @brief The connection is closing: forgotten (before its socket is closed). */
    void closed(token t) noexcept;
    /**
     * @brief Shuts down (both directions) every socket past its deadline at `now`; the server
     *        then sees the connection end and closes it. @return how many were shut down.
     */
    std::uint64_t cut_overdue(clock::time_point now) noexcept;
    [[nodiscard]] std::uint64_t open() const noexcept;
    /** @brief Connections shut down so far (counted before their peer can see it). */
    [[nodiscard]] std::uint64_t cut_total() const noexcept { return cut_total_.load(); }

private:
    std::chrono::milliseconds limit_;
    mutable std::mutex mutex_;
    std::list<entry> entries_;
    std::atomic<std::uint64_t> cut_total_{0};  // oldest `since` first is not kept: answered() moves nothing
};

}  // namespace domain_events::detail
