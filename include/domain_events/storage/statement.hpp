#pragma once
/** @file
 * A prepared SQLite statement: typed binding, stepping and column access with errors that name the SQL.
 */
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "domain_events/detail/handles.hpp"

namespace domain_events {

class statement_use;

/**
 * @brief One prepared statement, owned by the `database` that prepared it and reused across calls.
 *
 * Reached only through a `statement_use` (what `database::prepare` returns), which resets it when
 * the use ends. Bind parameters by 1-based index, `step()` through rows, read columns by 0-based
 * index. Not thread-safe: it belongs to its connection's thread.
 */
class statement {
public:
    /** @brief Prepares `sql` on `db`. @throws storage_error naming the SQL when SQLite refuses it. */
    statement(sqlite3* db, std::string_view sql, std::string_view db_path);

    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    /** @brief Binds a value to the 1-based parameter `index`. @throws storage_error on a bad index. */
    statement& bind(int index, std::int64_t value);
    /** @brief Any other integer type binds as a 64-bit integer. */
    template <std::integral T>
        requires(!std::same_as<T, std::int64_t>)
    statement& bind(int index, T value) {
        return bind(index, static_cast<std::int64_t>(value));
    }
    statement& bind(int index, double value);
    /** @brief Binds text; SQLite copies it, so the view may die right after the call. */
    statement& bind(int index, std::string_view value);
    statement& bind(int index, const char* value) { return bind(index, std::string_view{value}); }
    statement& bind(int index, const std::string& value) { return bind(index, std::string_view{value}); }
    statement& bind(int index, std::nullptr_t);
    template <class T>
    statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, nullptr);
    }

    /** @brief Binds each argument to parameters 1..N in order. */
    template <class... Ts>
    statement& bind_all(const Ts&... values) {
        int index = 0;
        (bind(++index, values), ...);
        return *this;
    }

    /**
     * @brief Advances to the next row.
     * @return true when a row is available, false when the statement is done.
     * @throws storage_error with SQLite's extended code (constraint, busy, full disk...).
     */
    bool step();

    /** @brief Steps until done, for statements that return no rows; returns the rows changed. */
    int run();

    [[nodiscard]] std::int64_t column_int64(int column) const;
    [[nodiscard]] double column_double(int column) const;
    /** @brief The column as text; an SQL NULL reads as an empty string (check `column_is_null`). */
    [[nodiscard]] std::string column_text(int column) const;
    /** @brief The column's text without a copy; valid until the next step or reset. */
    [[nodiscard]] std::string_view column_text_view(int column) const;
    [[nodiscard]] std::optional<std::string> column_optional_text(int column) const;
    [[nodiscard]] bool column_is_null(int column) const;

    [[nodiscard]] const std::string& sql() const noexcept { return sql_; }

private:
    friend class statement_use;

    [[noreturn]] void fail(int code, std::string_view action) const;
    // Ends any read the statement holds and clears its bindings.
    void reset() noexcept;

    sqlite3* db_;
    std::string sql_;
    std::string db_path_;
    detail::sqlite_stmt stmt_;
    bool in_use_ = false;
};

/**
 * @brief One use of a cached statement, from `database::prepare` to the end of the scope (or of
 *        the full expression, for a temporary): on exit, even by an exception, the statement is
 *        reset, so no read transaction outlives its use, and its bindings are cleared.
 *
 * A second use of the same statement while this one is alive (a row loop whose body prepares
 * the same SQL) would reset the rows under the first; it is refused instead.
 */
class statement_use {
public:
    /** @brief Starts a use of `s`. @throws usage_error naming the SQL when `s` is already in use. */
    explicit statement_use(statement& s);
    statement_use(statement_use&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
    statement_use(const statement_use&) = delete;
    statement_use& operator=(const statement_use&) = delete;
    statement_use& operator=(statement_use&&) = delete;
    ~statement_use();

    statement* operator->() const noexcept { return statement_; }
    statement& operator*() const noexcept { return *statement_; }

private:
    statement* statement_;
};

/** @brief Every row `q` (bound, in use) yields, each made by `read(q)`. */
template <class Read>
auto collect_rows(statement& q, Read read) {
    std::vector<std::invoke_result_t<Read&, statement&>> rows;
    while (q.step()) rows.push_back(read(q));
    return rows;
}

/** @brief The first row `q` yields (a lookup by key), or nothing; the rest are not read. */
template <class Read>
auto first_row(statement& q, Read read) {
    using row = std::invoke_result_t<Read&, statement&>;
    return q.step() ? std::optional<row>(read(q)) : std::nullopt;
}

}  // namespace domain_events
