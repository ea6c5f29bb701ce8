#pragma once
/** @file
 * Internals of signal.hpp: a receiver's identity, its slot (which tracks the calls running in it)
 * and the signal's copy-on-write receiver list. Not for integrators.
 */
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace domain_events::detail {

/** Who a receiver is, like Django's lookup key: a free function, or an (object, member function)
 *  pair. Lambdas and other function objects have none: each connect of one is a new receiver. */
class receiver_key {
public:
    template <class Function>
        requires std::is_function_v<Function>
    [[nodiscard]] static receiver_key of(Function* function) noexcept { return {nullptr, function}; }

    template <class Method>
        requires std::is_member_function_pointer_v<Method>
    [[nodiscard]] static receiver_key of(const void* object, Method method) noexcept { return {object, method}; }

    friend bool operator==(const receiver_key&, const receiver_key&) = default;

private:
    template <class Pointer>
    receiver_key(const void* object, Pointer pointer) noexcept : object_(object) {
        // A member function pointer is no integer; its bytes are what identifies it.
        static_assert(sizeof(Pointer) <= sizeof(function_), "a function pointer this large is not supported");
        std::memcpy(function_.data(), &pointer, sizeof(Pointer));
    }

    const void* object_ = nullptr;
    std::array<unsigned char, 4 * sizeof(void*)> function_{};
};

/** Everything about a receiver except its body, as `connect` resolved it. */
struct slot_identity {
    std::optional<std::string> sender;
    std::optional<std::string> dispatch_uid;
    std::optional<receiver_key> key;
    /** The receiver runs only while this lives, and keeps it alive while it runs; unused when empty. */
    std::weak_ptr<const void> owner;
    /** How the log names the receiver: its dispatch uid, else its type. */
    std::string label;
};

/** One connected receiver, whatever the signal's types, so `connection` needs no template. */
class slot_base {
public:
    explicit slot_base(slot_identity identity)
        : id(std::move(identity)), tracks_owner_(id.owner.owner_before(std::weak_ptr<const void>{}) ||
                                                 std::weak_ptr<const void>{}.owner_before(id.owner)) {}
    virtual ~slot_base() = default;
    slot_base(const slot_base&) = delete;
    slot_base& operator=(const slot_base&) = delete;

    [[nodiscard]] bool listens_to(std::string_view from) const noexcept { return !id.sender || *id.sender == from; }

    /** @brief Connected, and its owner (when it tracks one) still alive. */
    [[nodiscard]] bool alive() const noexcept {
        return connected_.load(std::memory_order_acquire) && (!tracks_owner_ || !id.owner.expired());
    }

    /** @brief True when `other` would be the same registration: Django's (uid or receiver, sender). */
    [[nodiscard]] bool same_registration(const slot_base& other) const noexcept {
        if (id.sender != other.id.sender) return false;
        if (id.dispatch_uid || other.id.dispatch_uid) return id.dispatch_uid == other.id.dispatch_uid;
        return id.key && id.key == other.id.key;
    }

    /** @brief Holds the tracked owner in `kept`, so it outlives the call; false when it died. */
    [[nodiscard]] bool hold_owner(std::shared_ptr<const void>& kept) const noexcept {
        if (!tracks_owner_) return true;
        kept = id.owner.lock();
        return kept != nullptr;
    }

    /** @brief Registers this thread as running the receiver; false when it was disconnected. Checked
     *  under the mutex `stop` takes, so a `stop_and_wait` that returned sees every call that began. */
    [[nodiscard]] bool begin_call() {
        std::lock_guard lock(calls_mutex_);
        if (!connected_.load(std::memory_order_relaxed)) return false;
        running_on_.push_back(std::this_thread::get_id());
        return true;
    }

    void end_call() noexcept {
        std::lock_guard lock(calls_mutex_);
        running_on_.erase(std::ranges::find(running_on_, std::this_thread::get_id()));
        calls_done_.notify_all();
    }

    /** @brief The receiver is called no more; calls already running go on. */
    void stop() noexcept {
        std::lock_guard lock(calls_mutex_);
        connected_.store(false, std::memory_order_release);
    }

    /** @brief Waits until calls running on OTHER threads returned. Calls on this thread are below us
     *  on the stack (the receiver disconnecting itself): waiting for them would never end. */
    void wait_for_calls_elsewhere() noexcept {
        std::unique_lock lock(calls_mutex_);
        const auto self = std::this_thread::get_id();
        calls_done_.wait(lock, [&] { return std::ranges::all_of(running_on_, [&](auto t) { return t == self; }); });
    }

    [[nodiscard]] bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }

    const slot_identity id;

private:
    const bool tracks_owner_;
    std::atomic<bool> connected_{true};
    std::mutex calls_mutex_;
    std::condition_variable calls_done_;
    std::vector<std::thread::id> running_on_;  // one entry per running call; a thread may nest calls
};

/** Marks a receiver as running for as long as it lives; false when the receiver was disconnected. */
class running_call {
public:
    explicit running_call(slot_base& slot) : slot_(slot), began_(slot.begin_call()) {}
    ~running_call() {
        if (began_) slot_.end_call();
    }
    running_call(const running_call&) = delete;
    running_call& operator=(const running_call&) = delete;
    explicit operator bool() const noexcept { return began_; }

private:
    slot_base& slot_;
    const bool began_;
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

    /** @brief Appends `slot` unless the same registration is alive; returns the one that is. Drops
     *  dead receivers (disconnected, or their owner gone) on the way, as Django does on connect. */
    std::shared_ptr<slot_base> add(std::shared_ptr<slot_base> slot) {
        std::lock_guard lock(mutex_);
        for (const auto& other : *slots_) {
            if (other->alive() && other->same_registration(*slot)) return other;
        }
        auto next = std::make_shared<slot_list>();
        next->reserve(slots_->size() + 1);
        std::ranges::copy_if(*slots_, std::back_inserter(*next), [](const auto& s) { return s->alive(); });
        next->push_back(slot);
        slots_ = std::move(next);
        return slot;
    }

    /** @brief Disconnects the first connected slot that `matches`, then waits for its calls running
     *  on other threads; false when none matches. */
    template <class Predicate>
    bool remove_first(Predicate matches) {
        const auto removed = unlink_first(matches);
        if (removed) removed->wait_for_calls_elsewhere();  // outside the mutex: receivers may connect
        return removed != nullptr;
    }

    /** @brief Number of receivers that are alive and satisfy `accepts`. */
    template <class Predicate>
    [[nodiscard]] std::size_t count_alive(Predicate accepts) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(
            std::ranges::count_if(*slots_, [&](const auto& s) { return s->alive() && accepts(*s); }));
    }

    /** @brief Marks every receiver disconnected, for when the signal dies; allocates nothing. */
    void disconnect_all() noexcept {
        std::lock_guard lock(mutex_);
        for (const auto& slot : *slots_) slot->stop();
    }

private:
    template <class Predicate>
    std::shared_ptr<slot_base> unlink_first(Predicate& matches) noexcept {
        std::lock_guard lock(mutex_);
        const auto found = std::ranges::find_if(*slots_, [&](const auto& s) { return s->connected() && matches(*s); });
        if (found == slots_->end()) return nullptr;
        auto removed = *found;
        removed->stop();  // first: if the copy below fails, the receiver still never runs again
        try {
            auto next = std::make_shared<slot_list>(*slots_);
            std::erase(*next, removed);
            slots_ = std::move(next);
        } catch (...) {
            // Out of memory: the stopped slot stays listed until the next connect drops it.
        }
        return removed;
    }

    mutable std::mutex mutex_;
    std::shared_ptr<const slot_list> slots_ = std::make_shared<const slot_list>();
};

}  // namespace domain_events::detail
