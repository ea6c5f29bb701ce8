#pragma once
/** @file
 * An SQLite connection with Django-style transactions: `atomic` scopes (savepoints when nested)
 * and `on_commit` callbacks that run only after the outermost commit.
 */
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "domain_events/detail/handles.hpp"
#include "domain_events/storage/statement.hpp"

namespace domain_events {

/** @brief SQLite's `PRAGMA synchronous` levels; WAL with `normal` survives process crashes. */
enum class synchronous_mode { off, normal, full, extra };

/** @brief How a connection is opened. */
struct database_options {
    std::string path;                                      ///< file path, or ":memory:"
    synchronous_mode synchronous = synchronous_mode::normal;
    std::chrono::milliseconds busy_timeout{5000};          ///< how long a writer waits for the lock
    bool read_only = false;                                ///< never creates or writes the file
};

/**
 * @brief One SQLite connection (WAL, busy timeout, foreign keys on, statements cached).
 *
 * Not thread-safe: one thread uses it at a time (it may be handed to another between uses, as
 * a consumer hands its database to its `run()` thread); give each thread its own `database` on
 * the same file. Transactions are opened with `transaction` or `atomic()`; `on_commit`
 * callbacks wait for the outermost commit and run on the thread that committed.
 */
class database {
public:
    /**
     * @brief Opens the file, creating it unless read-only: a new file is created with mode 0600
     *        (and so are its -wal and -shm files), an existing one keeps its mode. A read-only
     *        connection to a file on a read-only medium or directory reads it as immutable.
     * @throws storage_error naming the path.
     */
    explicit database(database_options options);
    /** @brief Opens `path` with the default options. */
    explicit database(std::string path);
    ~database();

    database(const database&) = delete;
    database& operator=(const database&) = delete;

    /** @brief Runs one or more SQL statements without parameters. @throws storage_error. */
    void execute(std::string_view sql);

    /**
     * @brief A use of the cached prepared statement for `sql`, unbound, ready to bind; the
     *        statement is reset when the use ends (`auto q = db.prepare(...)`: at the end of the
     *        scope; `db.prepare(...)->bind_all(...).run()`: at the end of the expression).
     *
     * The same SQL text reuses the same statement, so hot paths prepare once.
     * @throws storage_error when the SQL does not compile.
     * @throws usage_error when the same SQL is still in use (one use at a time).
     */
    [[nodiscard]] statement_use prepare(std::string_view sql);

    /** @brief True inside a `transaction` (at any nesting depth). */
    [[nodiscard]] bool in_transaction() const noexcept { return depth_ > 0; }

    /** @brief Nesting depth: 0 outside a transaction, 1 in the outermost, +1 per savepoint. */
    [[nodiscard]] int transaction_depth() const noexcept { return depth_; }

    /**
     * @brief Runs `callback` after the outermost transaction commits; dropped if the scope that
     *        registered it rolls back. Outside a transaction it runs at once (as in Django).
     * @param dedupe_key when not empty, a callback with the same key already waiting for this
     *        commit makes this call a no-op (one relay wake-up per transaction, not per event).
     */
    void on_commit(std::function<void()> callback, std::string_view dedupe_key = {});

    /**
     * @brief Runs `body` in a transaction: commits when it returns, rolls back when it throws.
     * @return what `body` returns.
     */
    template <class Body>
    decltype(auto) atomic(Body&& body);

    [[nodiscard]] std::int64_t last_insert_rowid() const noexcept;
    /** @brief Rows changed by the last statement. */
    [[nodiscard]] int changes() const noexcept;
    /** @brief SQLite's `PRAGMA data_version`: changes when another connection commits. */
    [[nodiscard]] std::int64_t data_version();
    [[nodiscard]] const std::string& path() const noexcept { return options_.path; }
    [[nodiscard]] sqlite3* native_handle() const noexcept { return db_.get(); }

private:
    friend class transaction;
    friend class group_commit;
    struct pending_callback {
        int depth;
        std::string dedupe_key;
        std::function<void()> callback;
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    void begin();
    void commit();
    void rollback() noexcept;
    void run_commit_callbacks();
    // The callbacks registered since the first `from` (a group member's, once its savepoint is
    // released), taken out to run after the shared commit.
    [[nodiscard]] std::vector<pending_callback> take_commit_callbacks(std::size_t from);
    [[nodiscard]] std::size_t pending_commit_callbacks() const noexcept { return on_commit_.size(); }
    // Runs each callback; if one throws, the others still run and the first exception is rethrown.
    static void run_callbacks(std::vector<pending_callback> callbacks);
    static int wait_while_busy(void* self, int attempt) noexcept;

    database_options options_;
    std::chrono::steady_clock::time_point busy_since_{};  // when the current wait for the lock began
    detail::sqlite_db db_;  // declared before the statements so they are finalized first
    std::unordered_map<std::string, std::unique_ptr<statement>, string_hash, std::equal_to<>> statements_;
    std::vector<pending_callback> on_commit_;
    int depth_ = 0;
};

/**
 * @brief An `atomic` scope, like Django's `transaction.atomic`: `BEGIN IMMEDIATE` when outermost,
 *        a savepoint when nested. Rolls back when destroyed without `commit()`.
 */
class transaction {
public:
    /** @brief Opens the scope. @throws storage_error (e.g. the lock could not be had in time). */
    explicit transaction(database& db);
    ~transaction();

    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

    /**
     * @brief Commits this scope (releases the savepoint when nested). The outermost commit then
     *        runs the `on_commit` callbacks; if one throws, the others still run, the data stays
     *        committed and the first exception is rethrown.
     * @throws storage_error when the commit fails (the scope is then rolled back).
     */
    void commit();

    /** @brief Rolls this scope back now; its `on_commit` callbacks are dropped. */
    void rollback() noexcept;

private:
    database& db_;
    int depth_;
    bool open_ = true;
};

template <class Body>
decltype(auto) database::atomic(Body&& body) {
    transaction scope(*this);
    if constexpr (std::is_void_v<std::invoke_result_t<Body&>>) {
        std::invoke(body);
        scope.commit();
    } else {
        decltype(auto) result = std::invoke(body);
        scope.commit();
        return result;
    }
}

}  // namespace domain_events
