#include "consume/missing_topics.hpp"

#include <algorithm>
#include <iterator>

namespace domain_events::detail {
namespace {

bool is_pattern(std::string_view entry) { return entry.find('*') != std::string_view::npos; }

bool is_subscribable_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

void sort_unique(std::vector<std::string>& list) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
}

}  // namespace

expected_topics expect_topics(const subscription& subscribed, std::string_view prefix, topic_routing routing,
                              const std::vector<std::string>& handled_types) {
    expected_topics expected{.prefix = std::string(prefix), .names = {}, .patterns = {}};
    // subscription::topics() holds the topic names, and `^...` regexes for the patterns, which
    // are kept here as the patterns they were made of.
    for (const auto& topic : subscribed.topics()) {
        if (!topic.starts_with('^')) expected.names.push_back(topic);
    }
    if (routing == topic_routing::per_event_type) {
        for (const auto& entry : subscribed.event_types()) {
            if (is_pattern(entry)) expected.patterns.push_back(entry);
        }
        for (const auto& type : handled_types) expected.names.push_back(topic_for_event_type(prefix, type));
    }
    sort_unique(expected.names);
    sort_unique(expected.patterns);
    return expected;
}

bool pattern_matches_topic(std::string_view prefix, std::string_view pattern, std::string_view topic) noexcept {
    if (topic.size() <= prefix.size() || !topic.starts_with(prefix) || topic[prefix.size()] != '.') return false;
    const auto rest = topic.substr(prefix.size() + 1);
    // The pattern's own characters are all of [a-z0-9_.] (an event type's), so checking the
    // whole rest is checking what its wildcards stand for.
    return std::all_of(rest.begin(), rest.end(), is_subscribable_char) && glob_matches(pattern, rest);
}

std::vector<std::string> missing_among(const expected_topics& expected, const std::vector<std::string>& existing) {
    auto present = existing;
    std::sort(present.begin(), present.end());
    std::vector<std::string> missing;
    for (const auto& name : expected.names) {
        if (!std::binary_search(present.begin(), present.end(), name)) missing.push_back(name);
    }
    for (const auto& pattern : expected.patterns) {
        const auto matches = [&](const std::string& topic) {
            return pattern_matches_topic(expected.prefix, pattern, topic);
        };
        if (std::none_of(present.begin(), present.end(), matches)) {
            missing.push_back(prefixed_topic(expected.prefix, pattern));
        }
    }
    std::sort(missing.begin(), missing.end());
    return missing;
}

missing_topics_schedule::missing_topics_schedule(expected_topics expected, std::chrono::milliseconds interval,
                                                 clock::time_point start, std::uint64_t seed)
    : expected_(std::move(expected)), interval_(interval), random_(seed) {
    next_ = start + pause();
}

missing_topics_schedule::clock::duration missing_topics_schedule::pause() {
    const auto base = std::chrono::duration_cast<clock::duration>(interval_);
    std::uniform_int_distribution<clock::rep> pick(base.count() * 4 / 5, base.count() * 6 / 5);
    return clock::duration{pick(random_)};
}

missing_topics_change missing_topics_schedule::looked(const std::vector<std::string>& existing, clock::time_point now) {
    auto missing = missing_among(expected_, existing);
    missing_topics_change change;
    std::set_difference(missing_.begin(), missing_.end(), missing.begin(), missing.end(),
                        std::back_inserter(change.found));
    std::set_difference(missing.begin(), missing.end(), missing_.begin(), missing_.end(),
                        std::back_inserter(change.lost));
    missing_ = std::move(missing);
    if (missing_.empty()) {
        next_.reset();  // librdkafka's own refresh from now on
    } else {
        next_ = now + pause();
    }
    return change;
}

void missing_topics_schedule::look_failed(clock::time_point now) { next_ = now + pause(); }

bool missing_topics_schedule::reported_unknown(clock::time_point now) {
    if (next_) return false;  // looking already
    next_ = now;
    return true;
}

}  // namespace domain_events::detail
