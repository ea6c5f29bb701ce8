#include "domain_events/storage/statement.hpp"

#include <sqlite3.h>

#include "domain_events/error.hpp"
#include "storage/sqlite_error.hpp"

namespace domain_events {

statement::statement(sqlite3* db, std::string_view sql, std::string_view db_path)
    : db_(db), sql_(sql), db_path_(db_path) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()), SQLITE_PREPARE_PERSISTENT,
                                      &raw, nullptr);
    stmt_.reset(raw);
    if (rc != SQLITE_OK) fail(rc, "prepare");
}

void statement::fail(int code, std::string_view action) const {
    throw detail::sqlite_failure(db_, code, std::string(action) + " `" + sql_ + "`", db_path_);
}

statement& statement::bind(int index, std::int64_t value) {
    if (const int rc = sqlite3_bind_int64(stmt_.get(), index, value); rc != SQLITE_OK) fail(rc, "bind");
    return *this;
}

statement& statement::bind(int index, double value) {
    if (const int rc = sqlite3_bind_double(stmt_.get(), index, value); rc != SQLITE_OK) fail(rc, "bind");
    return *this;
}

statement& statement::bind(int index, std::string_view value) {
    const int rc = sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) fail(rc, "bind");
    return *this;
}

statement& statement::bind(int index, std::nullptr_t) {
    if (const int rc = sqlite3_bind_null(stmt_.get(), index); rc != SQLITE_OK) fail(rc, "bind");
    return *this;
}

bool statement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const int extended = sqlite3_extended_errcode(db_);
    // Build the error before reset: reset may replace the connection's error message.
    auto failure = detail::sqlite_failure(db_, extended != SQLITE_OK ? extended : rc, "step `" + sql_ + "`", db_path_);
    sqlite3_reset(stmt_.get());
    throw failure;
}

int statement::run() {
    while (step()) {
    }
    return sqlite3_changes(db_);
}

std::int64_t statement::column_int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

double statement::column_double(int column) const { return sqlite3_column_double(stmt_.get(), column); }

std::string_view statement::column_text_view(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

std::string statement::column_text(int column) const { return std::string(column_text_view(column)); }

std::optional<std::string> statement::column_optional_text(int column) const {
    if (column_is_null(column)) return std::nullopt;
    return column_text(column);
}

bool statement::column_is_null(int column) const {
    return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

void statement::reset() noexcept {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

statement_use::statement_use(statement& s) : statement_(&s) {
    if (s.in_use_) {
        throw usage_error("statement `" + s.sql() + "` is already in use: an earlier use (a row loop, a result "
                          "still read) must end before the same SQL is prepared again");
    }
    s.in_use_ = true;
}

statement_use::~statement_use() {
    if (statement_ == nullptr) return;
    statement_->reset();
    statement_->in_use_ = false;
}

}  // namespace domain_events
