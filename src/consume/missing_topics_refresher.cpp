#include "consume/missing_topics_refresher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "consume/group_member.hpp"

namespace domain_events::detail {
namespace {

using clock = std::chrono::steady_clock;

// The request's own bound: stop() waits for it. A later answer is still used by librdkafka (it
// rejoins the group if the answer shows a new topic); only this look goes without it.
constexpr std::chrono::milliseconds longest_look{1'000};
// Below this the consumer would ask for every topic's metadata several times a second.
constexpr std::chrono::milliseconds shortest_refresh{100};

std::string listed(const std::vector<std::string>& topics) {
    constexpr std::size_t shown = 20;
    std::string text;
    for (std::size_t i = 0; i < topics.size() && i < shown; ++i) text += (i == 0 ? "" : ", ") + topics[i];
    if (topics.size() > shown) text += ", ... (" + std::to_string(topics.size()) + " in all)";
    return text;
}

}  // namespace

std::optional<std::string> missing_topic_refresh_problem(std::chrono::milliseconds interval) {
    if (interval.count() == 0 || interval >= shortest_refresh) return std::nullopt;
    return "consumer_options.missing_topic_refresh=" + std::to_string(interval.count()) +
           "ms: must be 0 (off: librdkafka's topic.metadata.refresh.interval.ms only) or at least " +
           std::to_string(shortest_refresh.count()) + " ms";
}

missing_topics_refresher::missing_topics_refresher(spdlog::logger& log, std::string group_id,
                                                   std::chrono::milliseconds interval)
    : log_(log), group_id_(std::move(group_id)), interval_(interval) {}

missing_topics_refresher::~missing_topics_refresher() { stop(); }

void missing_topics_refresher::start(const group_member& member, expected_topics expected) {
    stop();
    if (interval_.count() == 0) return;
    {
        std::lock_guard lock(mutex_);
        member_ = &member;
        stopping_ = false;
        schedule_.emplace(std::move(expected), interval_, clock::now(), std::random_device{}());
    }
    thread_ = std::thread([this] { run(); });
}

void missing_topics_refresher::stop() noexcept {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void missing_topics_refresher::reported_unknown(std::string_view topic) {
    if (interval_.count() == 0) {
        log_.warn("consumer {}: subscribed topic {} is unknown to the cluster; librdkafka looks again at its "
                  "topic.metadata.refresh.interval.ms (missing_topic_refresh is 0)",
                  group_id_, topic);
        return;
    }
    bool news = false;
    {
        std::lock_guard lock(mutex_);
        news = schedule_ && !stopping_ && schedule_->reported_unknown(clock::now());
    }
    if (!news) {
        log_.debug("consumer {}: subscribed topic {} is unknown to the cluster (being looked for)", group_id_, topic);
        return;
    }
    log_.info("consumer {}: librdkafka reports subscribed topic {} unknown; looking at the cluster's topics",
              group_id_, topic);
    wake_.notify_all();
}

std::vector<std::string> missing_topics_refresher::missing() const {
    std::lock_guard lock(mutex_);
    return schedule_ ? schedule_->missing() : std::vector<std::string>{};
}

void missing_topics_refresher::run() noexcept {
    try {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            const auto due = schedule_->next_look();
            if (due && clock::now() >= *due) {
                look(lock);
                continue;
            }
            const auto rescheduled = [&] { return stopping_ || schedule_->next_look() != due; };
            if (due) {
                wake_.wait_until(lock, *due, rescheduled);
            } else {
                wake_.wait(lock, rescheduled);
            }
        }
    } catch (const std::exception& e) {
        log_.error("consumer {}: looking for missing topics stopped: {}", group_id_, e.what());
    } catch (...) {
        log_.error("consumer {}: looking for missing topics stopped by something that is not a std::exception",
                   group_id_);
    }
}

// Called and returns with `lock` held; the request itself runs without it.
void missing_topics_refresher::look(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    const auto topics = member_->cluster_topics(std::min(interval_, longest_look));
    lock.lock();
    if (stopping_) return;
    if (!topics) {
        schedule_->look_failed(clock::now());
        log_.debug("consumer {}: no answer to a metadata request for all topics within {} ms; looking again",
                   group_id_, std::min(interval_, longest_look).count());
        return;
    }
    const auto change = schedule_->looked(*topics, clock::now());
    const bool all_found = schedule_->missing().empty();
    if (change.empty()) return;
    lock.unlock();
    log_change(change, all_found);
    lock.lock();
}

void missing_topics_refresher::log_change(const missing_topics_change& change, bool all_found) {
    if (!change.found.empty()) {
        log_.info("consumer {}: now in the cluster: {}{}", group_id_, listed(change.found),
                  all_found ? "; every subscribed topic exists, librdkafka's periodic refresh takes over" : "");
    }
    if (!change.lost.empty()) {
        log_.info("consumer {}: subscribed but not in the cluster: {}; looking for them about every {} ms "
                  "(missing_topic_refresh)",
                  group_id_, listed(change.lost), interval_.count());
    }
}

}  // namespace domain_events::detail
