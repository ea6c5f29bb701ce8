#include "back_pressure.hpp"

#include <sys/statvfs.h>

#include <filesystem>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/logging.hpp>
#include <domain_events/storage/outbox.hpp>
#include <spdlog/spdlog.h>

namespace domain_events::gateway {

pressure_reading read_outbox_pressure(const std::string& database_path) {
    pressure_reading reading;
    {
        // O(1): positions above the watermark (a dead-lettered row among them still counts, rarely).
        database db(database_options{.path = database_path, .read_only = true});
        outbox box(db);
        reading.backlog = box.last_position() - box.published_through();
    }
    const auto folder = std::filesystem::absolute(database_path).parent_path();
    struct statvfs fs {};
    if (statvfs(folder.c_str(), &fs) != 0) {
        throw storage_error("back-pressure: cannot read the free space of " + folder.string(), 0);
    }
    reading.free_disk_bytes = static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
    return reading;
}

back_pressure::back_pressure(back_pressure_settings settings, std::function<pressure_reading()> read,
                             std::function<void()> housekeeping)
    : settings_(settings), read_(std::move(read)), housekeeping_(std::move(housekeeping)) {}

back_pressure::~back_pressure() { stop(); }

void back_pressure::start() {
    refresh();
    if (!watcher_.joinable()) watcher_ = std::thread([this] { watch(); });
}

void back_pressure::stop() noexcept {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (watcher_.joinable()) watcher_.join();
}

void back_pressure::refresh() noexcept {
    try {
        const auto reading = read_();
        backlog_ = reading.backlog;
        free_disk_ = reading.free_disk_bytes;
    } catch (const std::exception& e) {
        library_logger()->warn("gateway back-pressure: reading the backlog and free disk failed: {}", e.what());
    }
}

void back_pressure::watch() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, settings_.check_interval, [this] { return stopping_; })) {
        lock.unlock();
        refresh();
        if (housekeeping_) {
            try {
                housekeeping_();
            } catch (const std::exception& e) {
                library_logger()->warn("gateway housekeeping failed: {}", e.what());
            }
        }
        lock.lock();
    }
}

std::optional<std::string> back_pressure::refusal() const {
    const auto backlog = backlog_.load();
    if (settings_.max_backlog_events > 0 && backlog >= settings_.max_backlog_events) {
        return "the outbox holds " + std::to_string(backlog) + " unpublished events (limit " +
               std::to_string(settings_.max_backlog_events) + "): Kafka is behind or unreachable";
    }
    const auto free_disk = free_disk_.load();
    if (settings_.min_free_disk_bytes > 0 && free_disk < settings_.min_free_disk_bytes) {
        return "the database's filesystem has " + std::to_string(free_disk) + " bytes free (at least " +
               std::to_string(settings_.min_free_disk_bytes) + " kept free)";
    }
    return std::nullopt;
}

pressure_reading back_pressure::last() const { return {backlog_.load(), free_disk_.load()}; }

}  // namespace domain_events::gateway
