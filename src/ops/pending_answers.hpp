#pragma once
// The answers of deferred routes (http_router::add_deferred) not sent yet: a connection waiting
// for one is suspended, and resumed by the responder, from whichever thread answers.
#include <microhttpd.h>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <set>
#include <vector>
#include <utility>

#include "domain_events/ops/http_server.hpp"

namespace domain_events::detail {

// A response its handler sends later: the connection is suspended until it comes.
struct pending_answer {
    std::optional<http_response> answer;
    MHD_Connection* suspended = nullptr;  // while the connection waits for `answer`
};

// The server's pending answers, shared with their responders (which may outlive the server).
struct pending_answers {
    std::mutex mutex;
    std::condition_variable changed;
    std::set<pending_answer*> waiting;  // suspended, not answered yet (kept alive by their request)
    std::size_t suspended = 0;          // suspended connections, answered or not
    std::size_t sending = 0;            // resumed with their answer, not yet sent whole
    bool stopping = false;              // none may be suspended any more: the daemon is stopping

    // Answers `pending` (the first answer wins) and resumes its connection if it waits.
    // Resumed outside the lock: libmicrohttpd takes its own locks there, and its loop threads
    // take this one (suspending) while they hold none of theirs. Only the one who takes
    // `suspended` resumes it, and the connection stays suspended (alive) until then.
    void deliver(pending_answer& pending, http_response&& answer) {
        MHD_Connection* resume = nullptr;
        {
            std::lock_guard lock(mutex);
            if (pending.answer) return;
            pending.answer = std::move(answer);
            if (pending.suspended == nullptr) return;
            waiting.erase(&pending);
            resume = std::exchange(pending.suspended, nullptr);
        }
        MHD_resume_connection(resume);
        changed.notify_all();
    }
};

}  // namespace domain_events::detail
