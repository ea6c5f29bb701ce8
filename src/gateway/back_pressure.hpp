#pragma once
// Back-pressure: when the outbox's backlog (events committed, not yet published) or the free
// space of the database's filesystem crosses its threshold (Kafka down for hours), writes are
// refused with 503 and Retry-After instead of filling the disk. The readings are taken on a
// thread of its own every `check_interval`, never on a request's path.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gateway_settings.hpp"

namespace domain_events::gateway {

/** @brief One reading of what back-pressure watches. */
struct pressure_reading {
    std::int64_t backlog = 0;             ///< outbox rows above the published watermark
    std::uint64_t free_disk_bytes = 0;    ///< available to this process on the database's filesystem
};

/** @brief The outbox at `database_path`: its backlog and its filesystem's free space. @throws storage_error. */
[[nodiscard]] pressure_reading read_outbox_pressure(const std::string& database_path);

/**
 * @brief Holds the last reading and whether it is over a threshold. `start` runs `read` (and
 *        `housekeeping`, if given) every `check_interval` until `stop` or destruction; `refresh`
 *        reads at once. `refusal`, `last` are safe from any thread.
 */
class back_pressure {
public:
    back_pressure(back_pressure_settings settings, std::function<pressure_reading()> read,
                  std::function<void()> housekeeping = {});
    ~back_pressure();
    back_pressure(const back_pressure&) = delete;
    back_pressure& operator=(const back_pressure&) = delete;

    void start();
    void stop() noexcept;
    /** @brief Takes a reading now (a failed reading keeps the last one and is logged). */
    void refresh() noexcept;

    /** @brief Why writes are refused now, or nullopt when they are not. */
    [[nodiscard]] std::optional<std::string> refusal() const;
    [[nodiscard]] pressure_reading last() const;
    [[nodiscard]] const back_pressure_settings& settings() const noexcept { return settings_; }

private:
    void watch();

    back_pressure_settings settings_;
    std::function<pressure_reading()> read_;
    std::function<void()> housekeeping_;
    std::atomic<std::int64_t> backlog_{0};
    std::atomic<std::uint64_t> free_disk_{UINT64_MAX};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread watcher_;
};

}  // namespace domain_events::gateway
