#pragma once
// Checkpoints a writer's WAL on a thread and a connection of its own. SQLite's auto-checkpoint
// runs inside the COMMIT that crosses its threshold, so every caller waiting on that commit (a
// group commit's whole transaction) waits for the checkpoint's copying and fsync as well.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "domain_events/storage/database.hpp"

struct sqlite3;

namespace domain_events::detail {

class background_checkpointer {
public:
    /**
     * @brief Takes checkpointing over from `writer`: once a COMMIT of it leaves `pages` or more
     *        in the WAL, a PASSIVE checkpoint runs here (it never waits for, nor blocks, writers
     *        and readers). `writer` must outlive this object.
     * @throws storage_error when the checkpointer's connection cannot be opened.
     */
    background_checkpointer(database& writer, int pages);
    ~background_checkpointer();

    background_checkpointer(const background_checkpointer&) = delete;
    background_checkpointer& operator=(const background_checkpointer&) = delete;

    /** @brief Checkpoints run so far. */
    [[nodiscard]] std::uint64_t checkpoints() const noexcept { return checkpoints_.load(); }

private:
    static int on_commit(void* self, sqlite3* db, const char* schema, int pages) noexcept;
    void run() noexcept;

    sqlite3* writer_;
    int pages_;
    database own_;
    std::mutex mutex_;
    std::condition_variable wanted_;
    bool due_ = false;
    bool stopping_ = false;
    std::atomic<std::uint64_t> checkpoints_{0};
    std::thread thread_;
};

}  // namespace domain_events::detail
