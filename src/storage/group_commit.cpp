#include "domain_events/storage/group_commit.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/publish/publish_scope.hpp"
#include "storage/background_checkpointer.hpp"

namespace domain_events {
namespace {

using clock = std::chrono::steady_clock;

}  // namespace

// One caller's write, queued until a leader runs it.
struct group_commit::request {
    const std::function<void(database&)>* body = nullptr;
    publish_context context;  // the caller's current one: its body's events take it on any thread
    std::condition_variable own_turn;
    std::condition_variable* turn = &own_turn;  // done, or at the front of the queue: leader
    bool done = false;
    std::exception_ptr failure;  // its body's, or the shared COMMIT's
    std::vector<database::pending_callback> callbacks;
    // A posted one's: it owns its body, is led by the group's thread, and is told by `completed`.
    std::function<void(database&)> posted_body;
    completion completed;

    [[nodiscard]] bool posted() const noexcept { return static_cast<bool>(completed); }

    // A posted request's outcome, told after the lock is released; nothing it throws escapes.
    void tell(std::uint64_t& errors) noexcept {
        try {
            if (!failure) database::run_callbacks(std::move(callbacks));
        } catch (const std::exception& e) {
            ++errors;
            library_logger()->error("group_commit: an on_commit callback of posted work threw (the work is committed): {}",
                                    e.what());
        } catch (...) {
            ++errors;
        }
        try {
            completed(failure);
        } catch (const std::exception& e) {
            ++errors;
            library_logger()->error("group_commit: a post's completion threw: {}", e.what());
        } catch (...) {
            ++errors;
        }
    }
};

struct group_commit::impl {
    impl(database_options connection, group_commit_options o) : options(o), db(std::move(connection)) {}

    group_commit_options options;
    mutable std::mutex mutex;  // the queue and the counters; the connection belongs to the leader
    std::deque<request*> queue;  // the front one is the leader
    // How many callers the next transaction may expect: those of the last one (under load they
    // are back at once with their next write) and those that queued while it ran; expected only
    // within max_delay of its end.
    std::size_t expected = 1;
    clock::time_point last_end{};
    bool leader_waiting = false;  // for the others to queue (lead's delay)
    std::thread::id leader_thread{};  // runs the bodies (re-entry check), under `mutex`
    database db;
    std::optional<detail::background_checkpointer> checkpointer;  // after db: it hooks db's commits
    group_commit_counters counters;
    // The posted work's leader: started by the first post, stopped by the destructor once every
    // posted request is done.
    std::condition_variable posted_turn;
    std::size_t posted_pending = 0;
    bool stopping = false;
    std::thread posted_leader;
};

group_commit::group_commit(database_options connection, group_commit_options options) {
    if (options.max_batch == 0) throw config_error("group_commit: max_batch must be at least 1");
    if (options.max_delay.count() < 0) {
        throw config_error("group_commit: max_delay must not be negative, got " +
                           std::to_string(options.max_delay.count()) + " us");
    }
    if (options.checkpoint_pages < 0) {
        throw config_error("group_commit: checkpoint_pages must not be negative, got " + std::to_string(options.checkpoint_pages));
    }
    impl_ = std::make_unique<impl>(std::move(connection), options);
    if (options.checkpoint_pages > 0) impl_->checkpointer.emplace(impl_->db, options.checkpoint_pages);
}

group_commit::~group_commit() {
    auto& s = *impl_;
    {
        std::lock_guard lock(s.mutex);
        s.stopping = true;
    }
    s.posted_turn.notify_all();
    if (s.posted_leader.joinable()) s.posted_leader.join();
}

std::size_t group_commit::waiting() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->queue.empty() ? 0 : impl_->queue.size() - 1;
}

group_commit_counters group_commit::counters() const {
    std::lock_guard lock(impl_->mutex);
    auto counters = impl_->counters;
    if (impl_->checkpointer) counters.checkpoints = impl_->checkpointer->checkpoints();
    return counters;
}

const group_commit_options& group_commit::options() const noexcept { return impl_->options; }

void group_commit::run_erased(const std::function<void(database&)>& body) {
    auto& s = *impl_;
    request mine;
    mine.body = &body;
    mine.context = publish_scope::current();
    std::unique_lock lock(s.mutex);
    if (s.leader_thread == std::this_thread::get_id()) {
        throw usage_error("group_commit: run() called from a body of the same group (it would wait for itself)");
    }
    if (s.posted_leader.joinable() && s.posted_leader.get_id() == std::this_thread::get_id()) {
        throw usage_error("group_commit: run() called from a post's completion on the group's thread (it would wait "
                          "for itself): hand the outcome over instead");
    }
    s.queue.push_back(&mine);
    if (s.leader_waiting) s.queue.front()->turn->notify_one();
    mine.own_turn.wait(lock, [&] { return mine.done || s.queue.front() == &mine; });
    if (!mine.done) lead(lock);
    lock.unlock();
    if (mine.failure) std::rethrow_exception(mine.failure);
    database::run_callbacks(std::move(mine.callbacks));
}

void group_commit::post(std::function<void(database&)> body, completion done) {
    auto& s = *impl_;
    if (!body || !done) throw usage_error("group_commit: post() needs a body and a completion");
    auto mine = std::make_unique<request>();
    mine->posted_body = std::move(body);
    mine->body = &mine->posted_body;
    mine->completed = std::move(done);
    mine->context = publish_scope::current();
    mine->turn = &s.posted_turn;
    std::lock_guard lock(s.mutex);
    if (s.leader_thread == std::this_thread::get_id()) {
        throw usage_error("group_commit: post() called from a body of the same group");
    }
    if (!s.posted_leader.joinable()) s.posted_leader = std::thread([this] { serve_posted(); });
    s.queue.push_back(mine.release());
    ++s.posted_pending;
    if (s.leader_waiting || s.queue.size() == 1) s.queue.front()->turn->notify_one();
}

// Leads each transaction whose first request was posted; the others are led by their callers.
void group_commit::serve_posted() noexcept {
    auto& s = *impl_;
    std::unique_lock lock(s.mutex);
    for (;;) {
        s.posted_turn.wait(lock, [&] {
            return (!s.queue.empty() && s.queue.front()->posted()) || (s.stopping && s.posted_pending == 0);
        });
        if (s.queue.empty() || !s.queue.front()->posted()) return;  // stopping, nothing posted left
        lead(lock);
    }
}

// The leader runs the queued callers' bodies (its own first) in one transaction, each in its
// own savepoint, with the queue's lock released so that the next ones can queue meanwhile; then
// it hands each its outcome and the front of the queue to the next leader.
void group_commit::lead(std::unique_lock<std::mutex>& lock) {
    auto& s = *impl_;
    // Under load the callers of the last transaction are back at once with their next write,
    // and the first one back would otherwise commit alone: within max_delay of the last
    // transaction's end, wait until as many have queued as it expects. A caller arriving later
    // (an idle application) begins at once.
    const auto enough = [&] { return s.queue.size() >= std::min(s.options.max_batch, s.expected); };
    const auto window_end = s.last_end + s.options.max_delay;
    if (!enough() && clock::now() < window_end) {
        s.leader_waiting = true;
        s.queue.front()->turn->wait_until(lock, window_end, enough);
        s.leader_waiting = false;
    }
    const auto size = std::min(s.queue.size(), s.options.max_batch);
    std::vector<request*> batch(s.queue.begin(), s.queue.begin() + static_cast<std::ptrdiff_t>(size));
    s.leader_thread = std::this_thread::get_id();
    lock.unlock();

    std::size_t kept = 0;
    std::exception_ptr lost;  // the shared transaction's failure: every kept caller's
    bool transaction_lost = false;
    try {
        transaction shared(s.db);  // BEGIN IMMEDIATE
        for (auto* r : batch) {
            if (transaction_lost) {
                r->failure = std::make_exception_ptr(storage_error(
                    "group_commit: not run: the shared transaction was lost to an earlier caller's failure on '" +
                        s.db.path() + "'",
                    SQLITE_ABORT));
                continue;
            }
            const auto mark = s.db.pending_commit_callbacks();
            try {
                transaction own(s.db);  // a savepoint
                const publish_scope callers(r->context, publish_scope::enclosing::ignore);
                (*r->body)(s.db);
                own.commit();
                r->callbacks = s.db.take_commit_callbacks(mark);
                ++kept;
            } catch (...) {
                r->failure = std::current_exception();
                // SQLite drops the whole transaction on some errors (a full disk, I/O): the
                // callers already in it are lost, and nobody may write into a dead one.
                transaction_lost = sqlite3_get_autocommit(s.db.native_handle()) != 0;
            }
        }
        if (kept > 0) {
            shared.commit();
        } else {
            shared.rollback();
        }
    } catch (...) {
        lost = std::current_exception();
    }

    lock.lock();
    s.leader_thread = std::thread::id{};
    std::vector<std::unique_ptr<request>> posted;  // told after the lock is released
    for (auto* r : batch) {
        if (lost) {
            if (!r->failure) r->failure = lost;
            r->callbacks.clear();
        }
        s.queue.pop_front();
        r->done = true;
        if (r->posted()) posted.emplace_back(r);
    }
    if (lost) {
        s.counters.failed += kept;
    } else if (kept > 0) {
        ++s.counters.transactions;
        s.counters.committed += kept;
        s.counters.largest = std::max(s.counters.largest, kept);
    }
    s.counters.rolled_back += batch.size() - kept;
    s.expected = batch.size() + s.queue.size();
    s.last_end = clock::now();
    for (auto* r : batch) {
        if (!r->posted()) r->turn->notify_one();
    }
    if (!s.queue.empty()) s.queue.front()->turn->notify_one();
    if (posted.empty()) return;
    lock.unlock();
    std::uint64_t errors = 0;
    for (auto& r : posted) r->tell(errors);
    lock.lock();
    s.counters.completion_errors += errors;
    s.posted_pending -= posted.size();
    if (s.stopping && s.posted_pending == 0) s.posted_turn.notify_all();
}

}  // namespace domain_events
