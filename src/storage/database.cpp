#include "domain_events/storage/database.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"
#include "storage/sqlite_error.hpp"

namespace domain_events {
namespace {

std::string_view synchronous_pragma(synchronous_mode mode) {
    switch (mode) {
        case synchronous_mode::off: return "PRAGMA synchronous=OFF";
        case synchronous_mode::normal: return "PRAGMA synchronous=NORMAL";
        case synchronous_mode::full: return "PRAGMA synchronous=FULL";
        case synchronous_mode::extra: return "PRAGMA synchronous=EXTRA";
    }
    return "PRAGMA synchronous=FULL";
}

std::string savepoint_name(int depth) { return "domain_events_sp_" + std::to_string(depth); }

// `path` as an SQLite URI, for the parameters only a URI can carry.
std::string file_uri(std::string_view path, std::string_view parameters) {
    std::string uri = "file:";
    for (const char c : path) {
        if (c == '%' || c == '?' || c == '#') {
            constexpr char hex[] = "0123456789ABCDEF";
            const auto byte = static_cast<unsigned char>(c);
            uri += {'%', hex[byte >> 4], hex[byte & 15]};
        } else {
            uri += c;
        }
    }
    return uri + "?" + std::string(parameters);
}

// A new database file is created 0600 before SQLite opens it (SQLite would create it 0644 less
// the umask): it holds personal data, and SQLite gives its -wal and -shm files the same mode.
// An existing file keeps its mode: it is the owner's choice.
void create_private_file(const std::string& path) {
    if (path.empty() || path == ":memory:" || path.starts_with("file:")) return;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);  // EEXIST and the rest: SQLite's open reports what matters
}

// Read-only opening fails on the first read when WAL's shared-memory file cannot be created:
// a read-only medium or directory. Those are the failures a reopen as immutable cures.
bool cannot_share_memory(int rc) noexcept {
    return rc == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY;
}

}  // namespace

database::database(std::string path) : database(database_options{.path = std::move(path)}) {}

database::database(database_options options) : options_(std::move(options)) {
    const int flags = (options_.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    const auto open = [&](const std::string& name, int how) {
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(name.c_str(), &raw, how, nullptr);
        db_.reset(raw);  // owned before the check, so a failed open still closes
        if (rc != SQLITE_OK) throw detail::sqlite_failure(raw, rc, "open", options_.path);
        sqlite3_extended_result_codes(db_.get(), 1);
    };
    if (!options_.read_only) create_private_file(options_.path);
    open(options_.path, flags);
    if (options_.read_only) {
        const int rc = sqlite3_exec(db_.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK && cannot_share_memory(sqlite3_extended_errcode(db_.get()))) {
            // Nobody can write on a read-only medium either, so nothing changes under the reader.
            library_logger()->debug("database '{}': read-only medium or directory; reading it as immutable", options_.path);
            open(file_uri(options_.path, "immutable=1"), flags | SQLITE_OPEN_URI);
        }
    }
    sqlite3_busy_handler(db_.get(), &database::wait_while_busy, this);  // a database is never moved
    if (!options_.read_only) execute("PRAGMA journal_mode=WAL");
    execute(synchronous_pragma(options_.synchronous));
    execute("PRAGMA foreign_keys=ON");
}

// SQLite's own busy handler sleeps 1, 2, 5, 10... ms between attempts, so a writer that finds the
// lock held for the 50 us of another's commit loses milliseconds (the relay's marking and an
// application's commit meet often). This one retries after 20 us, doubling up to 2 ms, until
// busy_timeout has passed since the first attempt; then SQLite returns SQLITE_BUSY.
int database::wait_while_busy(void* self, int attempt) noexcept {
    auto& db = *static_cast<database*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (attempt == 0) db.busy_since_ = now;
    if (now - db.busy_since_ >= db.options_.busy_timeout) return 0;
    const auto pause = std::chrono::microseconds{20} * (1 << std::min(attempt, 7));
    std::this_thread::sleep_for(std::min<std::chrono::microseconds>(pause, std::chrono::milliseconds{2}));
    return 1;
}

database::~database() {
    if (depth_ > 0) {
        library_logger()->error("database '{}' closed with an open transaction at depth {}; rolling back", options_.path, depth_);
        depth_ = 1;
        rollback();
    }
    statements_.clear();  // finalize every cached statement before the connection closes
}

void database::execute(std::string_view sql) {
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
    std::unique_ptr<char, decltype(&sqlite3_free)> owned(message, &sqlite3_free);
    if (rc != SQLITE_OK) {
        throw detail::sqlite_failure(db_.get(), sqlite3_extended_errcode(db_.get()), "execute `" + text + "`",
                                     options_.path);
    }
}

statement_use database::prepare(std::string_view sql) {
    auto found = statements_.find(sql);
    if (found == statements_.end()) {
        auto prepared = std::make_unique<statement>(db_.get(), sql, options_.path);
        found = statements_.emplace(std::string(sql), std::move(prepared)).first;
    }
    return statement_use(*found->second);
}

void database::on_commit(std::function<void()> callback, std::string_view dedupe_key) {
    if (depth_ == 0) {
        callback();
        return;
    }
    if (!dedupe_key.empty()) {
        // A waiting callback registered at this depth or shallower survives every rollback that
        // could drop this one, so it already covers this call.
        const bool covered = std::any_of(on_commit_.begin(), on_commit_.end(), [&](const pending_callback& p) {
            return p.dedupe_key == dedupe_key && p.depth <= depth_;
        });
        if (covered) return;
    }
    on_commit_.push_back({depth_, std::string(dedupe_key), std::move(callback)});
}

std::int64_t database::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_.get()); }

int database::changes() const noexcept { return sqlite3_changes(db_.get()); }

std::int64_t database::data_version() {
    auto query = prepare("PRAGMA data_version");
    query->step();
    const auto version = query->column_int64(0);
    return version;
}

void database::begin() {
    if (depth_ == 0) {
        // A statement left mid-result (a single-row SELECT that was stepped once) pins a read
        // snapshot; once another connection commits, BEGIN IMMEDIATE on a stale snapshot fails
        // with SQLITE_BUSY_SNAPSHOT at once instead of waiting. No result can span a new
        // transaction, so finish them here.
        for (sqlite3_stmt* s = sqlite3_next_stmt(db_.get(), nullptr); s != nullptr; s = sqlite3_next_stmt(db_.get(), s)) {
            if (sqlite3_stmt_busy(s) != 0) sqlite3_reset(s);
        }
    }
    // BEGIN, COMMIT, SAVEPOINT and RELEASE run once per write (a consumer's batch opens a
    // savepoint per event): cached statements, not parsed each time.
    if (depth_ == 0) {
        prepare("BEGIN IMMEDIATE")->run();
    } else {
        prepare("SAVEPOINT " + savepoint_name(depth_ + 1))->run();
    }
    ++depth_;
}

void database::commit() {
    if (sqlite3_get_autocommit(db_.get()) != 0) {
        // SQLite already rolled the whole transaction back after an earlier error (disk full, I/O).
        rollback();
        throw storage_error("sqlite: cannot commit on '" + options_.path +
                                "': SQLite rolled the transaction back after an earlier error",
                            SQLITE_ABORT);
    }
    if (depth_ > 1) {
        prepare("RELEASE " + savepoint_name(depth_))->run();
        for (auto& pending : on_commit_) {
            if (pending.depth == depth_) pending.depth = depth_ - 1;
        }
        --depth_;
        return;
    }
    try {
        prepare("COMMIT")->run();
    } catch (...) {
        rollback();
        throw;
    }
    depth_ = 0;
    run_commit_callbacks();
}

void database::rollback() noexcept {
    const int depth = depth_;
    std::erase_if(on_commit_, [depth](const pending_callback& p) { return p.depth >= depth; });
    depth_ = depth - 1;
    if (sqlite3_get_autocommit(db_.get()) != 0) return;  // SQLite already rolled back everything
    const std::string sql = depth == 1 ? std::string("ROLLBACK")
                                       : "ROLLBACK TO " + savepoint_name(depth) + "; RELEASE " + savepoint_name(depth);
    if (const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) {
        library_logger()->error("sqlite: rollback failed on '{}': {} (code {})", options_.path, sqlite3_errmsg(db_.get()), rc);
    }
}

void database::run_commit_callbacks() { run_callbacks(std::exchange(on_commit_, {})); }

std::vector<database::pending_callback> database::take_commit_callbacks(std::size_t from) {
    std::vector<pending_callback> taken;
    if (from >= on_commit_.size()) return taken;
    const auto first = on_commit_.begin() + static_cast<std::ptrdiff_t>(from);
    taken.assign(std::make_move_iterator(first), std::make_move_iterator(on_commit_.end()));
    on_commit_.erase(first, on_commit_.end());
    return taken;
}

void database::run_callbacks(std::vector<pending_callback> callbacks) {
    std::exception_ptr first_failure;
    for (auto& pending : callbacks) {
        try {
            pending.callback();
        } catch (...) {
            if (!first_failure) first_failure = std::current_exception();
        }
    }
    if (first_failure) std::rethrow_exception(first_failure);
}

transaction::transaction(database& db) : db_(db) {
    db_.begin();
    depth_ = db_.depth_;
}

transaction::~transaction() {
    if (open_) rollback();
}

void transaction::commit() {
    if (!open_) throw usage_error("transaction: commit() called on a scope that is already closed");
    if (db_.depth_ != depth_) {
        throw usage_error("transaction: commit() at depth " + std::to_string(depth_) + " while depth " +
                          std::to_string(db_.depth_) + " is still open");
    }
    open_ = false;
    db_.commit();
}

void transaction::rollback() noexcept {
    if (!open_) return;
    open_ = false;
    if (db_.depth_ != depth_) {
        library_logger()->error("transaction: rollback at depth {} while depth {} is open on '{}'", depth_, db_.depth_,
                      db_.path());
    }
    db_.rollback();
}

}  // namespace domain_events
