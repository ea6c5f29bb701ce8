#pragma once
// While a topic the consumer subscribes to is missing, asks the cluster for the metadata of all
// topics about every `consumer_options::missing_topic_refresh`, on a thread of its own, through
// the consumer's own client: librdkafka then matches the subscription again and joins the new
// topic at once, instead of at its periodic refresh (missing_topics.hpp says why and what is
// missing). Says what is missing in the log when that changes, and to `consumer::status()`.
// Internal.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "consume/missing_topics.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

class group_member;

/** @brief Why `interval` cannot be `consumer_options::missing_topic_refresh`; nullopt when it can. */
[[nodiscard]] std::optional<std::string> missing_topic_refresh_problem(std::chrono::milliseconds interval);

class missing_topics_refresher {
public:
    /** @brief `interval` 0: never looks (librdkafka's refresh only). Starts nothing yet. */
    missing_topics_refresher(spdlog::logger& log, std::string group_id, std::chrono::milliseconds interval);
    /** @brief Stops the thread (`stop`). */
    ~missing_topics_refresher();

    missing_topics_refresher(const missing_topics_refresher&) = delete;
    missing_topics_refresher& operator=(const missing_topics_refresher&) = delete;

    /**
     * @brief Looks for `expected` through `member`, which must live until `stop()`, on a new
     *        thread; the first look is one pause away (the group's join looks first).
     */
    void start(const group_member& member, expected_topics expected);

    /**
     * @brief Ends the thread: waits for a metadata request under way, at most one second.
     *        Idempotent; never throws.
     */
    void stop() noexcept;

    /**
     * @brief From `poll`'s thread: librdkafka reported subscribed `topic` unknown (it does once
     *        per topic and change). Logged once: a look is made at once unless one is due anyway.
     */
    void reported_unknown(std::string_view topic);

    /** @brief Missing at the last look (empty before the first, and when not looking); any thread. */
    [[nodiscard]] std::vector<std::string> missing() const;

private:
    void run() noexcept;
    void look(std::unique_lock<std::mutex>& lock);
    void log_change(const missing_topics_change& change, bool all_found);

    spdlog::logger& log_;
    std::string group_id_;
    std::chrono::milliseconds interval_;
    const group_member* member_ = nullptr;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::optional<missing_topics_schedule> schedule_;  // guarded by mutex_, like stopping_
    std::thread thread_;
};

}  // namespace domain_events::detail
