#include "consume/consumer_progress.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "consume/error_text.hpp"

namespace domain_events::detail {
namespace {

// A librdkafka offset field: absent, not a number, or negative (RD_KAFKA_OFFSET_INVALID is
// -1001) all mean unknown.
std::optional<std::int64_t> offset_field(const nlohmann::json& partition, const char* name) {
    const auto found = partition.find(name);
    if (found == partition.end() || !found->is_number_integer()) return std::nullopt;
    const auto value = found->get<std::int64_t>();
    return value >= 0 ? std::optional(value) : std::nullopt;
}

const nlohmann::json* member_object(const nlohmann::json& parent, const std::string& name) {
    if (!parent.is_object()) return nullptr;
    const auto found = parent.find(name);
    return found != parent.end() && found->is_object() ? &*found : nullptr;
}

}  // namespace

std::map<topic_partition, statistics_offsets> offsets_from_statistics(std::string_view statistics_json,
                                                                      const std::vector<topic_partition>& wanted) {
    std::map<topic_partition, statistics_offsets> found;
    const auto document = nlohmann::json::parse(statistics_json, nullptr, /*allow_exceptions=*/false);
    const auto* topics = member_object(document, "topics");
    if (topics == nullptr) return found;
    for (const auto& tp : wanted) {
        const auto* topic = member_object(*topics, tp.topic);
        const auto* partitions = topic != nullptr ? member_object(*topic, "partitions") : nullptr;
        const auto* partition = partitions != nullptr ? member_object(*partitions, std::to_string(tp.partition)) : nullptr;
        if (partition == nullptr) continue;
        found[tp] = statistics_offsets{.committed = offset_field(*partition, "committed_offset"),
                                       .low = offset_field(*partition, "lo_offset"),
                                       .high = offset_field(*partition, "hi_offset")};
    }
    return found;
}

partition_lag lag_of(const topic_partition& tp, const partition_offsets& o, bool from_beginning) {
    partition_lag lag;
    lag.topic = tp.topic;
    lag.partition = tp.partition;
    lag.end_offset = o.high;
    if (o.stored && o.committed) lag.position = std::max(*o.stored, *o.committed);
    else if (o.stored) lag.position = o.stored;
    else if (o.committed) lag.position = o.committed;
    else if (from_beginning) lag.position = o.low;
    if (lag.end_offset && lag.position) lag.lag = std::max<std::int64_t>(0, *lag.end_offset - *lag.position);
    return lag;
}

bool caught_up(const std::vector<catch_up_target>& targets, const std::vector<partition_lag>& now) {
    return std::ranges::all_of(targets, [&](const catch_up_target& t) {
        const auto p = std::ranges::find_if(
            now, [&](const partition_lag& l) { return l.partition == t.tp.partition && l.topic == t.tp.topic; });
        return p == now.end() || (p->position && *p->position >= t.end);
    });
}

bool is_stalled(bool running, const std::vector<partition_lag>& partitions, bool message_in_hand,
                std::optional<std::chrono::milliseconds> since_progress, std::chrono::milliseconds stall_after) {
    if (!running || partitions.empty() || !since_progress || *since_progress < stall_after) return false;
    return message_in_hand ||
           std::any_of(partitions.begin(), partitions.end(), [](const auto& p) { return p.lag.value_or(0) > 0; });
}

void consumer_progress::assigned(const std::vector<topic_partition>& added) {
    {
        std::lock_guard lock(mutex_);
        for (const auto& tp : added) assignment_.insert_or_assign(tp, partition_offsets{});
    }
    // A fresh assignment has had no chance to progress yet: the stall clock starts here.
    progressed();
}

void consumer_progress::revoked(const std::vector<topic_partition>& removed) {
    std::lock_guard lock(mutex_);
    for (const auto& tp : removed) assignment_.erase(tp);
}

void consumer_progress::unassigned() {
    std::lock_guard lock(mutex_);
    assignment_.clear();
}

std::vector<topic_partition> consumer_progress::assignment() const {
    std::lock_guard lock(mutex_);
    std::vector<topic_partition> list;
    list.reserve(assignment_.size());
    for (const auto& [tp, offsets] : assignment_) list.push_back(tp);
    return list;
}

void consumer_progress::received() noexcept { in_hand_.store(true, std::memory_order_relaxed); }

void consumer_progress::dealt_with(const topic_partition& tp, std::int64_t next_offset) {
    in_hand_.store(false, std::memory_order_relaxed);
    progressed();
    std::lock_guard lock(mutex_);
    if (const auto found = assignment_.find(tp); found != assignment_.end()) found->second.stored = next_offset;
}

void consumer_progress::high_watermarks(const std::map<topic_partition, std::int64_t>& highs) {
    std::lock_guard lock(mutex_);
    for (const auto& [tp, high] : highs) {
        if (const auto found = assignment_.find(tp); found != assignment_.end() && high >= 0) found->second.high = high;
    }
}

void consumer_progress::statistics(std::string_view json) {
    // Parsed outside the lock, so readers never wait for a large document. Only the run()
    // thread changes the assignment, and this runs on it, so it cannot move meanwhile.
    const auto offsets = offsets_from_statistics(json, assignment());
    std::lock_guard lock(mutex_);
    for (const auto& [tp, o] : offsets) {
        const auto found = assignment_.find(tp);
        if (found == assignment_.end()) continue;
        if (o.committed) found->second.committed = o.committed;
        if (o.low) found->second.low = o.low;
        if (o.high && (!found->second.high || *found->second.high < *o.high)) found->second.high = o.high;
    }
}

void consumer_progress::progressed() noexcept {
    last_progress_.store(clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

void consumer_progress::error(std::string text) {
    const auto now = std::chrono::system_clock::now();
    std::lock_guard lock(mutex_);
    last_error_ = cut_text(text);  // a handler's text, served by /health/detailed
    last_error_at_ = now;
}

consumer_progress::snapshot consumer_progress::take() const {
    snapshot s;
    s.message_in_hand = in_hand_.load(std::memory_order_relaxed);
    const auto last = last_progress_.load(std::memory_order_relaxed);
    if (last != never) {
        const auto elapsed = clock::now() - clock::time_point(clock::duration(last));
        s.since_progress = std::chrono::duration_cast<std::chrono::milliseconds>(std::max(elapsed, clock::duration::zero()));
    }
    const bool from_beginning = from_beginning_.load();
    std::lock_guard lock(mutex_);
    s.partitions.reserve(assignment_.size());
    for (const auto& [tp, offsets] : assignment_) s.partitions.push_back(lag_of(tp, offsets, from_beginning));
    s.last_error = last_error_;
    s.last_error_at = last_error_at_;
    return s;
}

}  // namespace domain_events::detail
