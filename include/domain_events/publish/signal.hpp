#pragma once
/** @file
 * Django's signal dispatcher in C++: receivers connect to a signal, optionally for one sender and
 * under a dispatch uid, and run in connection order on every matching `send`.
 * docs/publishing.md puts this API beside Django's and lists where it differs.
 */
#include <array>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "domain_events/publish/detail/signal_slots.hpp"
#include "domain_events/error.hpp"
#include "domain_events/publish/signal_connection.hpp"

namespace domain_events {

/** @brief How a receiver is connected; leave a field unset to not use it. */
struct connect_options {
    /** Run the receiver only for `send` calls with exactly this sender (a model name, e.g. "patient"). */
    std::optional<std::string> sender = std::nullopt;
    /** Names the receiver: while one is connected under this uid and sender, connecting again keeps it. */
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
    /** The receiver that threw: compare it with the connection `connect` returned. */
    connection receiver{};
};

/** @brief What one receiver returned from `send`, Django's (receiver, response) pair. */
template <class R>
struct receiver_response {
    connection receiver;
    R value;
};

/** @brief One receiver's outcome in `send_robust`: its value, or the error it threw. */
template <class R>
struct robust_response {
    connection receiver;
    std::optional<R> value;
    std::optional<receiver_error> error;
};

namespace detail {

/** @brief Builds the entry for the receiver whose exception is being handled, and logs it at error
 *  level with the receiver's label and the exception text. Call it only inside a `catch`. */
receiver_error receiver_failed(std::size_t index, const slot_base& slot, connection receiver, std::string_view sender);

template <class F>
[[nodiscard]] bool is_empty_callable(const F& fn) noexcept {
    if constexpr (std::is_pointer_v<F>) {
        return fn == nullptr;
    } else if constexpr (requires { fn.target_type(); }) {
        return !fn;  // a std::function
    } else {
        return false;
    }
}

/** Calls `fn` and converts its result to R, or drops it when R is void. */
template <class R, class F, class... Params>
R invoke_as(F& fn, Params&&... params) {
    if constexpr (std::is_void_v<R>) {
        static_cast<void>(std::invoke(fn, std::forward<Params>(params)...));
    } else {
        return std::invoke(fn, std::forward<Params>(params)...);
    }
}

/** The dispatcher behind both spellings of `signal`: receivers take `Args...`, return `R`. */
template <class R, class... Args>
class basic_signal {
    static_assert((!std::is_rvalue_reference_v<Args> && ...),
                  "every receiver gets the same arguments, so none may take them by rvalue reference");
    static_assert(std::is_void_v<R> || std::is_object_v<R>, "a receiver returns void or a value");

public:
    /** A receiver as a std::function (a receiver may also take `std::string_view sender` first). */
    using receiver = std::function<R(Args...)>;

    basic_signal() = default;
    ~basic_signal() { state_->disconnect_all(); }
    // Deleting the copies also leaves the moves undeclared: connections point at this signal.
    basic_signal(const basic_signal&) = delete;
    basic_signal& operator=(const basic_signal&) = delete;

    /**
     * @brief Connects `fn`, a callable taking `(Args...)` or `(std::string_view sender, Args...)`.
     *        A plain function is one receiver however often it is connected for the same sender;
     *        with a `dispatch_uid` connected for the same sender, the FIRST receiver wins (as in
     *        Django): `fn` is dropped and the returned connection refers to the existing receiver.
     * @throws validation_error when `fn` is empty, or `sender` or `dispatch_uid` is set but empty.
     */
    template <class F>
        requires(!std::is_member_pointer_v<F>)
    connection connect(F fn, connect_options options = {}) {
        if (is_empty_callable(fn)) throw validation_error("receiver", "must not be empty");
        std::optional<receiver_key> key;
        if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>) key = receiver_key::of(fn);
        return add(bind(std::move(fn)), std::move(options), key, {}, typeid(F).name());
    }

    /** @brief Connects `object->method`; the pair is the receiver's identity. Disconnect it (a
     *  `scoped_connection` member declared last does) before `object` dies. @throws validation_error */
    template <class T, class Method>
        requires std::is_member_function_pointer_v<Method>
    connection connect(T* object, Method method, connect_options options = {}) {
        return connect_member(object, method, std::move(options), {});
    }

    /** @brief Connects `owner->method`, holding `owner` weakly as Django holds bound methods: the
     *  receiver is dropped once `owner` dies, and a running call keeps it alive. @throws validation_error */
    template <class T, class Method>
        requires std::is_member_function_pointer_v<Method>
    connection connect(const std::shared_ptr<T>& owner, Method method, connect_options options = {}) {
        return connect_member(owner.get(), method, std::move(options), owner);
    }

    /** @brief Disconnects `handle` if it belongs to this signal; true when this call disconnected it.
     *  Waits as `connection::disconnect` does. @throws nothing */
    bool disconnect(const connection& handle) noexcept { return handle.state_.lock() == state_ && handle.disconnect(); }

    /** @brief Disconnects the receiver connected under `dispatch_uid` for `sender` (unset: the one
     *  connected for every sender); true when there was one. @throws nothing */
    bool disconnect(std::string_view dispatch_uid, std::optional<std::string_view> sender = std::nullopt) noexcept {
        return state_->remove_first([&](const slot_base& s) { return s.id.dispatch_uid == dispatch_uid && same_sender(s, sender); });
    }

    /** @brief Disconnects the plain function `fn` connected for `sender`; true when it was. @throws nothing */
    template <class Function>
        requires std::is_function_v<Function>
    bool disconnect(Function* fn, std::optional<std::string_view> sender = std::nullopt) noexcept {
        return remove(receiver_key::of(fn), sender);
    }

    /** @brief Disconnects `object->method` connected for `sender` (by raw or shared pointer). @throws nothing */
    template <class T, class Method>
        requires std::is_member_function_pointer_v<Method>
    bool disconnect(const T* object, Method method, std::optional<std::string_view> sender = std::nullopt) noexcept {
        return remove(receiver_key::of(object, method), sender);
    }
    template <class T, class Method>
        requires std::is_member_function_pointer_v<Method>
    bool disconnect(const std::shared_ptr<T>& owner, Method method,
                    std::optional<std::string_view> sender = std::nullopt) noexcept {
        return disconnect(owner.get(), method, sender);
    }

    /** @brief Whether a send from `sender` would reach a receiver. Unset, as in Django: whether a
     *  receiver connected for every sender exists. @throws nothing in practice */
    [[nodiscard]] bool has_listeners(std::optional<std::string_view> sender = std::nullopt) const {
        return state_->count_alive([&](const slot_base& s) { return sender ? s.listens_to(*sender) : !s.id.sender; }) > 0;
    }

    /** @brief Number of live receivers, whatever their sender. @throws nothing in practice */
    [[nodiscard]] std::size_t receiver_count() const {
        return state_->count_alive([](const slot_base&) { return true; });
    }

    /** @brief Runs every receiver that listens to `sender`, in connection order.
     *  @return nothing for a void signal, else each receiver's response in connection order.
     *  @throws whatever a receiver throws, at once: later receivers do not run. */
    auto send(std::string_view sender, Args... args) {
        if constexpr (std::is_void_v<R>) {
            each_listener(sender, [](std::size_t, const auto&, auto&& call) { call(); }, args...);
        } else {
            std::vector<receiver_response<R>> responses;
            each_listener(sender, [&](std::size_t, const auto& slot, auto&& call) {
                responses.push_back({connection(state_, slot), call()});
            }, args...);
            return responses;
        }
    }

    /** @brief Runs every receiver that listens to `sender`, even after one throws; logs each failure.
     *  @return a void signal: one entry per receiver that threw, in connection order (empty when
     *          none did); else one `robust_response` per receiver that ran, in connection order.
     *  @throws std::bad_alloc only while recording; receivers' exceptions are returned. */
    auto send_robust(std::string_view sender, Args... args) {
        using entry = std::conditional_t<std::is_void_v<R>, receiver_error, robust_response<R>>;
        std::vector<entry> entries;
        each_listener(sender, [&](std::size_t index, const auto& slot, auto&& call) {
            try {
                if constexpr (std::is_void_v<R>) {
                    call();
                } else {
                    entries.push_back({connection(state_, slot), call(), std::nullopt});
                }
            } catch (...) {
                auto failure = receiver_failed(index, *slot, connection(state_, slot), sender);
                if constexpr (std::is_void_v<R>) {
                    entries.push_back(std::move(failure));
                } else {
                    entries.push_back({failure.receiver, std::nullopt, std::move(failure)});
                }
            }
        }, args...);
        return entries;
    }

private:
    using body = std::function<R(std::string_view, Args&...)>;

    struct typed_slot final : slot_base {
        typed_slot(body b, slot_identity identity) : slot_base(std::move(identity)), fn(std::move(b)) {}
        const body fn;
    };

    // Arguments reach receivers as lvalues: each must see them intact, none may move from them.
    template <class F>
    static body bind(F fn) {
        if constexpr (std::is_invocable_v<F&, Args&...>) {
            return [fn = std::move(fn)](std::string_view, Args&... args) mutable -> R { return invoke_as<R>(fn, args...); };
        } else {
            static_assert(std::is_invocable_v<F&, std::string_view, Args&...>,
                          "a receiver takes the signal's arguments, optionally after the sender (std::string_view)");
            return [fn = std::move(fn)](std::string_view sender, Args&... args) mutable -> R {
                return invoke_as<R>(fn, sender, args...);
            };
        }
    }

    template <class T, class Method>
    connection connect_member(T* object, Method method, connect_options options, std::weak_ptr<const void> owner) {
        if (object == nullptr || method == nullptr) throw validation_error("receiver", "object and method must not be null");
        return add(bind(std::bind_front(method, object)), std::move(options), receiver_key::of(object, method),
                   std::move(owner), typeid(Method).name());
    }

    static bool same_sender(const slot_base& slot, std::optional<std::string_view> sender) noexcept {
        return sender ? slot.id.sender == *sender : !slot.id.sender;
    }

    bool remove(const receiver_key& key, std::optional<std::string_view> sender) noexcept {
        return state_->remove_first([&](const slot_base& s) { return s.id.key == key && same_sender(s, sender); });
    }

    connection add(body fn, connect_options options, std::optional<receiver_key> key, std::weak_ptr<const void> owner,
                   std::string type_name) {
        if (options.sender && options.sender->empty())
            throw validation_error("sender", "must not be empty; leave it unset to receive every sender");
        if (options.dispatch_uid && options.dispatch_uid->empty())
            throw validation_error("dispatch_uid", "must not be empty when set");
        std::string label = options.dispatch_uid.value_or(std::move(type_name));
        auto slot = std::make_shared<typed_slot>(std::move(fn), slot_identity{std::move(options.sender),
                                                                             std::move(options.dispatch_uid), key,
                                                                             std::move(owner), std::move(label)});
        return connection(state_, state_->add(std::move(slot)));
    }

    // Calls `visit(index, slot, call)` for each live receiver of `sender`; `call()` runs it. While
    // it runs, its tracked owner is held and the slot knows, so a disconnect elsewhere waits for it.
    template <class Visit>
    void each_listener(std::string_view sender, Visit&& visit, Args&... args) {
        const auto slots = state_->snapshot();
        for (std::size_t index = 0; index < slots->size(); ++index) {
            const auto& slot = (*slots)[index];
            std::shared_ptr<const void> owner;
            if (!slot->listens_to(sender) || !slot->hold_owner(owner)) continue;
            const running_call running(*slot);
            if (!running) continue;
            visit(index, slot, [&] { return static_cast<const typed_slot&>(*slot).fn(sender, args...); });
        }
    }

    const std::shared_ptr<signal_state> state_ = std::make_shared<signal_state>();
};

}  // namespace detail

/**
 * @brief A signal whose receivers take `Args...` and return nothing; receivers run in connection
 *        order. `signal<R(Args...)>` is the same with receivers that return an `R`.
 *
 * Thread-safe: `send` runs receivers outside the internal mutex on an immutable snapshot of the
 * receiver list; connect and disconnect publish a new list (copy-on-write). So receivers may
 * connect and disconnect, on this or any signal, while a send runs:
 * - a receiver connected during a send first runs on the next send;
 * - a receiver disconnected during a send, by another receiver of that send or by itself, is not
 *   called again by that send (each slot is checked right before the call);
 * - a disconnect waits until the receiver's calls running on other threads have returned, so what
 *   it captured may die right after (and a receiver tracking a `shared_ptr` owner keeps it alive).
 *   Hence a receiver must not disconnect a receiver that may be running on another thread and
 *   waiting for it (each would wait for the other), nor disconnect while holding a lock that a
 *   running receiver needs. Disconnecting itself, from inside its own call, never waits.
 *
 * Not copyable or movable, because connections point at it.
 */
template <class... Args>
class signal : public detail::basic_signal<void, Args...> {};

/** @brief A signal whose receivers take `Args...` and return an `R`: `send` returns their responses. */
template <class R, class... Args>
class signal<R(Args...)> : public detail::basic_signal<R, Args...> {};

/** @brief Connects `fn` to each of `signals` with the same options, Django's `@receiver([a, b])`.
 *  @return one connection per signal, in order. @throws validation_error as `connect` does (before
 *  any is connected, since every signal checks the same receiver and options). */
template <class F, class... Signals>
std::array<connection, sizeof...(Signals)> connect_each(const F& fn, const connect_options& options,
                                                        Signals&... signals) {
    return {signals.connect(fn, options)...};
}

}  // namespace domain_events
