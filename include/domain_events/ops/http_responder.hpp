#pragma once
/** @file
 * The answer to a request a handler finishes later, from another thread: a route that waits for
 * something slow (a group commit) hands its responder over instead of blocking the event loop
 * that read the request, so that loop goes on serving the other connections meanwhile.
 */
#include <functional>
#include <memory>

namespace domain_events {

struct http_response;

/**
 * @brief Sends one request's response, once, from any thread.
 *
 * Copies share the answer: the first call sends, later calls (of any copy) are ignored. When the
 * last copy goes without having answered, the client gets 500: no request waits forever for a
 * handler that lost its responder (an exception, a forgotten path).
 */
class http_responder {
public:
    using deliver = std::function<void(http_response&& answer)>;

    /** @brief A responder that sends nothing (an empty one: `answered()` is true). */
    http_responder() = default;
    /** @brief Sends through `to`, called at most once; it must not throw. */
    explicit http_responder(deliver to);

    /** @brief Sends `answer` unless one was sent already. Never throws. */
    void operator()(http_response answer) const noexcept;

    /** @brief Whether an answer has gone (or none can). */
    [[nodiscard]] bool answered() const noexcept;

private:
    struct shared;
    std::shared_ptr<shared> shared_;
};

}  // namespace domain_events
