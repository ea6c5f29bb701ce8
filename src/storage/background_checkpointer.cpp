#include "storage/background_checkpointer.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "domain_events/logging.hpp"

namespace domain_events::detail {

background_checkpointer::background_checkpointer(database& writer, int pages)
    : writer_(writer.native_handle()), pages_(pages), own_(database_options{.path = writer.path()}) {
    thread_ = std::thread([this] { run(); });
    // Replaces SQLite's auto-checkpoint, which is itself this hook.
    sqlite3_wal_hook(writer_, &background_checkpointer::on_commit, this);
}

background_checkpointer::~background_checkpointer() {
    sqlite3_wal_hook(writer_, nullptr, nullptr);
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wanted_.notify_one();
    thread_.join();
}

int background_checkpointer::on_commit(void* self, sqlite3*, const char*, int pages) noexcept {
    auto& c = *static_cast<background_checkpointer*>(self);
    if (pages < c.pages_) return SQLITE_OK;
    {
        std::lock_guard lock(c.mutex_);
        c.due_ = true;
    }
    c.wanted_.notify_one();
    return SQLITE_OK;
}

void background_checkpointer::run() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
        wanted_.wait(lock, [this] { return due_ || stopping_; });
        if (stopping_) return;
        due_ = false;
        lock.unlock();
        int wal_pages = 0, copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(own_.native_handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        ++checkpoints_;
        // BUSY: another connection is checkpointing right now (its own auto-checkpoint): the
        // WAL is being copied anyway, and the next commit over the threshold asks again.
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            try {
                library_logger()->warn("sqlite: checkpointing '{}' failed: {} (code {}); the next commit over {} pages retries",
                                       own_.path(), sqlite3_errstr(rc), rc, pages_);
            } catch (...) {
            }
        }
        lock.lock();
    }
}

}  // namespace domain_events::detail
