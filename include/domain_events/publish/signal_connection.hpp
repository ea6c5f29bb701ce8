#pragma once
/** @file
 * Handles to a connected receiver: `connection` (copyable, does nothing when it dies) and
 * `scoped_connection` (move-only, disconnects when it dies).
 */
#include <memory>
#include <utility>

#include "domain_events/publish/detail/signal_slots.hpp"

namespace domain_events {

namespace detail {
template <class R, class... Args>
class basic_signal;
}  // namespace detail

/** @brief A copyable handle to one connected receiver. It holds the signal weakly, so it may outlive it:
 *  then `connected()` is false and `disconnect()` does nothing. A default one refers to nothing. */
class connection {
public:
    connection() = default;

    /** @brief True while the receiver is connected, its signal alive and its tracked owner (if any)
     *  alive. @throws nothing */
    [[nodiscard]] bool connected() const noexcept {
        const auto slot = slot_.lock();
        return slot && slot->alive();
    }

    /**
     * @brief Disconnects the receiver; every copy of this handle sees it. Returns once calls of it
     *        already running on other threads have returned (not waiting for the calling thread's
     *        own, so a receiver may disconnect itself); afterwards it is never called again.
     * @return true when this call disconnected it, false when it already was (or the signal died).
     * @throws nothing
     */
    bool disconnect() const noexcept {
        const auto state = state_.lock();
        const auto slot = slot_.lock();
        return state && slot && state->remove_first([&](const auto& s) { return &s == slot.get(); });
    }

private:
    template <class R, class... Args>
    friend class detail::basic_signal;

    /** @brief True when both refer to the same receiver (or both to none), even once disconnected. */
    friend bool operator==(const connection& a, const connection& b) noexcept {
        return !a.slot_.owner_before(b.slot_) && !b.slot_.owner_before(a.slot_);
    }

    connection(std::weak_ptr<detail::signal_state> state, std::weak_ptr<detail::slot_base> slot) noexcept
        : state_(std::move(state)), slot_(std::move(slot)) {}

    std::weak_ptr<detail::signal_state> state_;
    std::weak_ptr<detail::slot_base> slot_;
};

/** @brief Owns a connection and disconnects it when it dies (waiting, as `connection::disconnect`
 *  does, for the receiver's calls running on other threads); move-only. */
class scoped_connection {
public:
    scoped_connection() = default;

    /** @brief Takes over `owned`, to disconnect it when this object dies; explicit so a temporary can't
     *  silently connect-then-disconnect at the end of a full expression. @throws nothing */
    explicit scoped_connection(connection owned) noexcept : connection_(std::move(owned)) {}

    ~scoped_connection() { connection_.disconnect(); }

    /** @brief Takes `other`'s connection; `other` is left empty. @throws nothing */
    scoped_connection(scoped_connection&& other) noexcept : connection_(other.release()) {}

    /** @brief Disconnects the current connection, then takes `other`'s. @throws nothing */
    scoped_connection& operator=(scoped_connection&& other) noexcept {
        if (this != &other) {
            connection_.disconnect();
            connection_ = other.release();
        }
        return *this;
    }

    /** @brief Gives the connection up without disconnecting it; this object is left empty. @throws nothing */
    connection release() noexcept { return std::exchange(connection_, connection{}); }

    /** @brief True while the owned receiver is connected. @throws nothing */
    [[nodiscard]] bool connected() const noexcept { return connection_.connected(); }

private:
    connection connection_;
};

}  // namespace domain_events
