#include "domain_events/ops/http_responder.hpp"

#include <atomic>
#include <utility>

#include "domain_events/ops/http_server.hpp"

namespace domain_events {

struct http_responder::shared {
    explicit shared(deliver d) : to(std::move(d)) {}
    shared(const shared&) = delete;
    shared& operator=(const shared&) = delete;
    // The last copy gone unanswered: the handler lost it (an exception, a path it forgot).
    ~shared() { send(http_response{500, "application/json", "{\"error\":\"internal error\"}\n", {}}); }

    void send(http_response&& answer) noexcept {
        if (sent.exchange(true)) return;
        try {
            to(std::move(answer));
        } catch (...) {  // `to` must not throw; nothing of it may reach the handler's thread
        }
    }

    deliver to;
    std::atomic<bool> sent{false};
};

http_responder::http_responder(deliver to) : shared_(std::make_shared<shared>(std::move(to))) {}

void http_responder::operator()(http_response answer) const noexcept {
    if (shared_) shared_->send(std::move(answer));
}

bool http_responder::answered() const noexcept { return !shared_ || shared_->sent.load(); }

}  // namespace domain_events
