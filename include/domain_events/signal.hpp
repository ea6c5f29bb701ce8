#pragma once
/** @file
 * Django's signal dispatcher in C++: receivers connect to a signal, optionally for one sender and
 * under a dispatch uid, and run in connection order on every matching `send`.
 */
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "domain_events/error.hpp"

namespace domain_events {

/** @brief How a receiver is connected; leave a field unset to not use it. */
struct connect_options {
    /** Run the receiver only for `send` calls with exactly this sender (a model name, e.g. "patient"). */
    std::optional<std::string> sender = std::nullopt;
    /** Names the receiver: while a receiver with this uid is connected, connecting the uid again keeps it. */
    std::optional<std::string> dispatch_uid = std::nullopt;
};

/** @brief One receiver that threw during `send_robust`. */
struct receiver_error {
    /** 0-based position in the receiver list (connection order) as it was when the send began. */
    std::size_t receiver_index = 0;
    std::optional<std::string> dispatch_uid;
    std::exception_ptr error;
    /** `what()` of the exception, or a placeholder when it does not derive from `std::exception`. */
    std::string what;
};

template <class... Args>
class signal;

namespace detail {

/** What a receiver slot carries whatever the signal's argument types, so `connection` needs no template. */
struct slot_base {
    explicit slot_base(connect_options options)
        : sender(std::move(options.sender)), dispatch_uid(std::move(options.dispatch_uid)) {}
    virtual ~slot_base() = default;

    /** @brief True when the slot is still connected and listens to `from`. */
    [[nodiscard]] bool should_run(std::string_view from) const noexcept {
        return connected.load(std::memory_order_acquire) && (!sender || *sender == from);
    }

    const std::optional<std::string> sender;
    const std::optional<std::string> dispatch_uid;
    // Cleared under the signal's mutex but read without it, by sends already iterating a snapshot.
    std::atomic<bool> connected{true};
};

using slot_list = std::vector<std::shared_ptr<slot_base>>;

/** The signal's shared state: connections hold it weakly, sends take immutable snapshots of it. */
class signal_state {
public:
    /** @brief The current receiver list; never changes after it is published. */
    [[nodiscard]] std::shared_ptr<const slot_list> snapshot() const {
        std::lock_guard lock(mutex_);
        return slots_;
    }

    /** @brief Appends `slot` unless its uid is taken; returns the slot that is connected under it. */
    std::shared_ptr<slot_base> add(std::shared_ptr<slot_base> slot) {
        std::lock_guard lock(mutex_);
        if (slot->dispatch_uid) {
            for (const auto& other : *slots_) {
                if (other->connected.load() && other->dispatch_uid == slot->dispatch_uid) return other;
            }
        }
        auto next = std::make_shared<slot_list>(*slots_);
        next->push_back(slot);
        slots_ = std::move(next);
        return slot;
    }

    /** @brief Disconnects the first connected slot that `matches`; false when none does. */
    template <class Predicate>
    bool remove_first(Predicate matches) {
        std::lock_guard lock(mutex_);
        for (const auto& slot : *slots_) {
            if (!slot->connected.load() || !matches(*slot)) continue;
            // Cleared before copying the list: if the copy throws, the receiver still never runs again.
            slot->connected.store(false, std::memory_order_release);
            auto next = std::make_shared<slot_list>(*slots_);
            std::erase(*next, slot);
            slots_ = std::move(next);
            return true;
        }
        return false;
    }

    /** @brief Number of connected receivers. */
    [[nodiscard]] std::size_t size() const {
        std::lock_guard lock(mutex_);
        const auto connected = [](const auto& slot) { return slot->connected.load(); };
        return static_cast<std::size_t>(std::ranges::count_if(*slots_, connected));
    }

    /** @brief Marks every receiver disconnected, for when the signal dies; allocates nothing. */
    void disconnect_all() noexcept {
        std::lock_guard lock(mutex_);
        for (const auto& slot : *slots_) slot->connected.store(false, std::memory_order_release);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const slot_list> slots_ = std::make_shared<const slot_list>();
};

}  // namespace detail

/** @brief A copyable handle to one connected receiver. It holds the signal weakly, so it may outlive it:
 *  then `connected()` is false and `disconnect()` does nothing. A default one refers to nothing. */
class connection {
public:
    connection() = default;

    /** @brief True while the receiver is connected and its signal alive. @throws nothing */
    [[nodiscard]] bool connected() const noexcept {
        const auto slot = slot_.lock();
        return slot && slot->connected.load(std::memory_order_acquire);
    }

    /**
     * @brief Disconnects the receiver; every copy of this handle sees it.
     * @return true when this call disconnected it, false when it already was (or the signal died).
     * @throws std::bad_alloc when copying the receiver list fails; the receiver never runs again anyway.
     */
    bool disconnect() const {
        const auto state = state_.lock();
        const auto slot = slot_.lock();
        return state && slot && state->remove_first([&](const auto& s) { return &s == slot.get(); });
    }

private:
    template <class... Args>
    friend class signal;

    connection(std::weak_ptr<detail::signal_state> state, std::weak_ptr<detail::slot_base> slot) noexcept
        : state_(std::move(state)), slot_(std::move(slot)) {}

    std::weak_ptr<detail::signal_state> state_;
    std::weak_ptr<detail::slot_base> slot_;
};

/** @brief Owns a connection and disconnects it when it dies; move-only. */
class scoped_connection {
public:
    scoped_connection() = default;

    /** @brief Takes over `owned`, to disconnect it when this object dies; explicit so a temporary can't
     *  silently connect-then-disconnect at the end of a full expression. @throws nothing */
    explicit scoped_connection(connection owned) noexcept : connection_(std::move(owned)) {}

    ~scoped_connection() { disconnect_quietly(); }

    /** @brief Takes `other`'s connection; `other` is left empty. @throws nothing */
    scoped_connection(scoped_connection&& other) noexcept : connection_(other.release()) {}

    /** @brief Disconnects the current connection, then takes `other`'s. @throws nothing */
    scoped_connection& operator=(scoped_connection&& other) noexcept {
        if (this != &other) {
            disconnect_quietly();
            connection_ = other.release();
        }
        return *this;
    }

    /** @brief Gives the connection up without disconnecting it; this object is left empty. @throws nothing */
    connection release() noexcept { return std::exchange(connection_, connection{}); }

    /** @brief True while the owned receiver is connected. @throws nothing */
    [[nodiscard]] bool connected() const noexcept { return connection_.connected(); }

private:
    void disconnect_quietly() noexcept {
        // Only bad_alloc can escape, and by then remove_first has marked the receiver disconnected.
        try { connection_.disconnect(); } catch (...) {}
    }

    connection connection_;
};

/**
 * @brief A signal whose receivers take `Args...`; receivers run in connection order.
 *
 * Thread-safe: `send` runs receivers outside the internal mutex on an immutable snapshot of the
 * receiver list; connect and disconnect publish a new list (copy-on-write). So receivers may
 * connect and disconnect, on this or any signal, while a send runs:
 * - a receiver connected during a send first runs on the next send;
 * - a receiver disconnected during a send, by another receiver of that send or by itself, is not
 *   called again by that send (each slot's `connected` flag is checked right before the call);
 * - a disconnect on another thread may race with a call that has already begun, as in any
 *   lock-free dispatcher: receivers must keep what they capture alive until the signal dies.
 *
 * Not copyable or movable, because connections point at it.
 */
template <class... Args>
class signal {
    static_assert((!std::is_rvalue_reference_v<Args> && ...),
                  "every receiver gets the same arguments, so none may take them by rvalue reference");

public:
    using receiver = std::function<void(Args...)>;

    signal() = default;
    ~signal() { state_->disconnect_all(); }
    // Deleting the copies also leaves the moves undeclared.
    signal(const signal&) = delete;
    signal& operator=(const signal&) = delete;

    /** @brief Connects `fn`. With a `dispatch_uid` already connected, the FIRST receiver wins (as in
     *  Django): `fn` is dropped and the returned connection refers to the existing receiver.
     *  @throws validation_error when `fn` is empty, or `sender` or `dispatch_uid` is set but empty. */
    connection connect(receiver fn, connect_options options = {}) {
        if (!fn) throw validation_error("receiver", "must not be empty");
        if (options.sender && options.sender->empty())
            throw validation_error("sender", "must not be empty; leave it unset to receive every sender");
        if (options.dispatch_uid && options.dispatch_uid->empty())
            throw validation_error("dispatch_uid", "must not be empty when set");
        auto slot = state_->add(std::make_shared<typed_slot>(std::move(fn), std::move(options)));
        return connection(state_, slot);
    }

    /** @brief Disconnects `handle` if it belongs to this signal; true when this call disconnected it.
     *  @throws std::bad_alloc when copying the receiver list fails */
    bool disconnect(const connection& handle) {
        return handle.state_.lock() == state_ && handle.disconnect();
    }

    /** @brief Disconnects the receiver connected under `dispatch_uid`; true when there was one.
     *  @throws std::bad_alloc when copying the receiver list fails */
    bool disconnect(std::string_view dispatch_uid) {
        return state_->remove_first([dispatch_uid](const auto& s) { return s.dispatch_uid == dispatch_uid; });
    }

    /** @brief Number of connected receivers, whatever their sender. @throws nothing in practice */
    [[nodiscard]] std::size_t receiver_count() const { return state_->size(); }

    /** @brief Runs every receiver that listens to `sender`, in connection order.
     *  @throws whatever a receiver throws, at once: later receivers do not run. */
    void send(std::string_view sender, Args... args) {
        const auto slots = state_->snapshot();
        for (const auto& slot : *slots) {
            if (slot->should_run(sender)) call(*slot, args...);
        }
    }

    /** @brief Runs every receiver that listens to `sender`, even after one throws.
     *  @return one entry per receiver that threw, in connection order (empty when none did).
     *  @throws std::bad_alloc only while recording an error; receivers' exceptions are returned. */
    std::vector<receiver_error> send_robust(std::string_view sender, Args... args) {
        std::vector<receiver_error> errors;
        const auto slots = state_->snapshot();
        for (std::size_t index = 0; index < slots->size(); ++index) {
            const detail::slot_base& slot = *(*slots)[index];
            if (!slot.should_run(sender)) continue;
            try {
                call(slot, args...);
            } catch (const std::exception& e) {
                errors.push_back({index, slot.dispatch_uid, std::current_exception(), e.what()});
            } catch (...) {
                errors.push_back({index, slot.dispatch_uid, std::current_exception(), "unknown exception"});
            }
        }
        return errors;
    }

private:
    struct typed_slot final : detail::slot_base {
        typed_slot(receiver body, connect_options options)
            : slot_base(std::move(options)), fn(std::move(body)) {}
        const receiver fn;
    };

    // Arguments go in as lvalues: each receiver must see them intact, none may move from them.
    static void call(const detail::slot_base& slot, Args&... args) {
        static_cast<const typed_slot&>(slot).fn(args...);
    }

    const std::shared_ptr<detail::signal_state> state_ = std::make_shared<detail::signal_state>();
};

}  // namespace domain_events
