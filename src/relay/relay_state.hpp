#pragma once
// What the relay's public object and its worker thread share. Internal.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "domain_events/config.hpp"
#include "domain_events/storage/database.hpp"
#include "domain_events/ops/latency_histogram.hpp"
#include "domain_events/relay/relay.hpp"

namespace spdlog { class logger; }

namespace domain_events {

class topic_admin;

struct relay::state {
    config settings;
    relay_options options;
    std::shared_ptr<spdlog::logger> log;
    std::map<std::string, std::string> producer_properties;

    // Wake-ups and stopping: guarded by `mutex`.
    std::mutex mutex;
    std::condition_variable wake_cv;
    bool wake_requested = false;
    bool stop_requested = false;
    std::chrono::steady_clock::time_point stop_deadline;
    std::string last_error;

    // Tells waiters in wait_until_published that something was acknowledged or dead-lettered.
    std::condition_variable progress_cv;
    std::uint64_t progress_seq = 0;

    // Held by the worker across "commit a mark, then count it", so that a caller who saw the
    // commit (wait_until_published) also sees the count once it takes this mutex.
    std::mutex mark_mutex;

    std::atomic<bool> running{false};
    std::atomic<bool> lease_held{false};
    std::atomic<bool> abandoned_in_flight{false};
    std::atomic<std::uint64_t> published{0}, failed_attempts{0}, dead_lettered{0}, rewinds{0}, producer_recreations{0};
    std::atomic<std::uint64_t> consecutive_failures{0};
    latency_histogram commit_to_ack;

    // A connection for callers' queries (counters, wait_until_published), never the worker's.
    std::mutex query_mutex;
    std::unique_ptr<database> query_db;

    std::mutex lifecycle_mutex;  // start() and stop() from any threads, one at a time
    std::thread worker;

    void note_error(std::string message) {
        std::lock_guard lock(mutex);
        last_error = std::move(message);
    }
    void notify_progress() {
        {
            std::lock_guard lock(mutex);
            ++progress_seq;
        }
        progress_cv.notify_all();
    }

    /// Once, when the worker first asks the cluster about topics (its first event): each broker
    /// whose message.max.bytes would refuse an event validation accepts is named in a warning
    /// (topic_admin logs it); each topic is checked by `ensure` as the relay first needs it.
    void check_broker_limits(topic_admin& admin) const noexcept;

    /// How long each request of the relay's topic admin may take: well within the lease, so
    /// the step after it renews in time.
    [[nodiscard]] std::chrono::milliseconds admin_timeout() const {
        return std::min<std::chrono::milliseconds>(std::chrono::seconds{5}, settings.lease_period / 3);
    }
};

}  // namespace domain_events
