#pragma once
/** @file
 * Group commit: many threads' small write transactions coalesced into one SQLite transaction,
 * each in a savepoint of its own, so they share one `BEGIN IMMEDIATE ... COMMIT` instead of
 * queueing for SQLite's write lock one by one. docs/publishing.md, "Group commit".
 */
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "domain_events/storage/database.hpp"

namespace domain_events {

/** @brief When a shared transaction closes. */
struct group_commit_options {
    /// Callers whose work one transaction holds at most (>= 1).
    std::size_t max_batch = 128;
    /// How long after a transaction ends the next one may wait, before it begins, for callers to
    /// queue: as many as the last one held plus those that queued while it ran (under load they
    /// are back at once with their next write, and the first one back would otherwise commit
    /// alone). It begins as soon as they have queued or it is full; a caller arriving later than
    /// this after the last transaction (an idle application) begins at once. 0: never wait.
    std::chrono::microseconds max_delay{500};
    /// WAL pages after a shared COMMIT from which a thread of the group's own checkpoints the
    /// database (PASSIVE, on a connection of its own). SQLite's auto-checkpoint would run inside
    /// that COMMIT, and every caller of the transaction would wait for its copying and fsync.
    /// 0: leave checkpoints to SQLite's auto-checkpoint on the group's connection.
    int checkpoint_pages = 1000;
};

/** @brief What a `group_commit` has done since it was built. */
struct group_commit_counters {
    std::uint64_t transactions = 0;  ///< shared transactions committed
    std::uint64_t committed = 0;     ///< callers whose work those held
    std::uint64_t rolled_back = 0;   ///< callers whose body threw (their savepoint alone rolled back)
    std::uint64_t failed = 0;        ///< callers whose work was lost with a shared COMMIT that failed
    std::size_t largest = 0;         ///< callers in the largest transaction
    std::uint64_t completion_errors = 0;  ///< `post` completions or their `on_commit` callbacks that threw
    std::uint64_t checkpoints = 0;   ///< WAL checkpoints run by the group's own thread
};

/**
 * @brief One SQLite connection that runs many threads' transactions together.
 *
 * `run(body)` queues `body`; the first caller in the queue leads: it runs its body and those
 * queued behind it (up to `max_batch`), one after the other on its own thread, each in a
 * savepoint of its own, inside one `BEGIN IMMEDIATE ... COMMIT`, while the next callers queue for
 * the next transaction. A body that throws rolls back its savepoint alone and its `run` rethrows.
 * Every other `run` returns only after the COMMIT, so a returned write is as durable as one
 * committed by `database::atomic`; if that COMMIT fails, every caller in it gets the
 * storage_error and none of their work is kept. `on_commit` callbacks a body registers run after
 * the COMMIT on the caller's own thread, before its `run` returns. Rows the bodies insert are
 * committed in the order the bodies ran (an outbox's positions are still its commit order).
 *
 * A body may run on another caller's thread: it must not rely on thread-local state of its
 * caller (capture what it needs), and it runs while the others wait, so keep it short. The one
 * exception is the caller's `publish_scope`: the body runs under its caller's current publish
 * context (and only that one, whichever thread runs it), so its events carry their caller's
 * trace, correlation and causation.
 *
 * `post(body, done)` queues a body the same way without waiting for it: a thread of the group's
 * own (started by the first `post`) leads the transactions that begin with posted work, and
 * `done` is called once that work's transaction has committed or failed. A server that must not
 * block its event loop on a commit (the gateway) posts; its requests then share a transaction
 * however few loop threads it has.
 *
 * Threads: `run`, `post`, `waiting` and `counters` are safe from any thread. A body must not call
 * `run` or `post` of the same group (usage_error), nor commit or roll back the shared transaction
 * itself; it may nest `atomic` scopes. Destroy the group only once every `run` has returned; the
 * destructor finishes the posted work (each `done` called) before it returns.
 */
class group_commit {
public:
    /**
     * @brief Opens the connection the group writes through (its own: never use it elsewhere).
     * @throws config_error for a bad option; storage_error when the database cannot be opened.
     */
    explicit group_commit(database_options connection, group_commit_options options = {});
    ~group_commit();

    group_commit(const group_commit&) = delete;
    group_commit& operator=(const group_commit&) = delete;

    /**
     * @brief Runs `body(database&)` in its own savepoint of the shared transaction and waits for
     *        that transaction's COMMIT.
     * @return what `body` returns.
     * @throws what `body` throws (its work rolled back, the others' kept); storage_error when
     *         the shared transaction cannot begin or commit (this caller's work is then lost, and
     *         was never acknowledged); usage_error when called from a body of this group; what
     *         an `on_commit` callback throws (the write stays committed).
     */
    template <class Body>
    std::invoke_result_t<Body&, database&> run(Body&& body);

    /** @brief What `post` reports: empty when the body's work is committed, else why it is not. */
    using completion = std::function<void(std::exception_ptr failure)>;

    /**
     * @brief Queues `body(database&)` as `run` does and returns at once; `done` is called after
     *        the shared transaction holding it has committed (`failure` empty, the body's
     *        `on_commit` callbacks already run) or when its work is not kept: `failure` holds
     *        what the body threw (its savepoint alone rolled back) or the storage_error of a
     *        transaction that could not begin or commit.
     *
     * Both run on the thread leading that transaction (the group's, or a `run` caller's), while
     * the next transaction waits: keep `done` short (hand the outcome over; do not write).
     * What `done` or a callback throws is logged and counted (`completion_errors`), never
     * propagated: the work stays committed. `done` may `post` again, never `run` (usage_error
     * on the group's thread, which would wait for itself).
     * @throws usage_error when called from a body of this group.
     */
    void post(std::function<void(database&)> body, completion done);

    /** @brief Callers queued behind the one leading (their bodies not yet taken). */
    [[nodiscard]] std::size_t waiting() const;

    /** @brief A snapshot of the counters. */
    [[nodiscard]] group_commit_counters counters() const;

    [[nodiscard]] const group_commit_options& options() const noexcept;

private:
    struct impl;
    struct request;
    void run_erased(const std::function<void(database&)>& body);
    void lead(std::unique_lock<std::mutex>& lock);
    void serve_posted() noexcept;
    std::unique_ptr<impl> impl_;
};

template <class Body>
std::invoke_result_t<Body&, database&> group_commit::run(Body&& body) {
    using result_type = std::invoke_result_t<Body&, database&>;
    if constexpr (std::is_void_v<result_type>) {
        run_erased([&body](database& db) { std::invoke(body, db); });
    } else {
        std::optional<result_type> result;
        run_erased([&body, &result](database& db) { result.emplace(std::invoke(body, db)); });
        return std::move(*result);
    }
}

}  // namespace domain_events
