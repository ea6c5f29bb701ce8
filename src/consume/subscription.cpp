#include "domain_events/consume/subscription.hpp"

#include <algorithm>

#include "domain_events/error.hpp"
#include "domain_events/publish/validation.hpp"

namespace domain_events {
namespace {

bool is_pattern(std::string_view entry) { return entry.find('*') != std::string_view::npos; }

// Why `entry` cannot be subscribed to; empty when it can.
std::string entry_problem(std::string_view entry, topic_routing routing) {
    std::string as_type(entry);
    std::replace(as_type.begin(), as_type.end(), '*', 'x');  // a wildcard stands where a word may
    try {
        validate_event_type(as_type);
    } catch (const validation_error&) {
        return "is neither an event type nor a pattern of one (resource.action, lower case, '*' as wildcard)";
    }
    const auto resource = entry.substr(0, entry.find('.'));
    if (routing == topic_routing::per_aggregate && is_pattern(resource)) {
        return "has a wildcard in the resource part, which per_aggregate routing cannot subscribe to "
               "(it would also match the dead-letter topic)";
    }
    return {};
}

// `^<prefix>\.<pattern>$` with `*` as any run of topic characters an event type may hold.
std::string topic_regex(std::string_view prefix, std::string_view pattern) {
    std::string regex = "^";
    for (const char c : prefixed_topic(prefix, pattern)) {
        if (c == '.') {
            regex += "\\.";
        } else if (c == '*') {
            regex += "[a-z0-9_.]*";
        } else {
            regex += c;
        }
    }
    return regex + "$";
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view text) noexcept {
    // Iterative glob with one backtrack point: linear in practice, no recursion.
    std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

subscription::subscription(std::vector<std::string> event_types, std::string prefix, topic_routing routing)
    : event_types_(std::move(event_types)) {
    std::string problems;
    if (event_types_.empty()) problems = "event_types: empty; subscribe to at least one event type or pattern";
    for (const auto& entry : event_types_) {
        const auto problem = entry_problem(entry, routing);
        if (!problem.empty()) {
            problems += (problems.empty() ? "" : "\n") + std::string("event_types: '") + entry + "' " + problem;
            continue;
        }
        (is_pattern(entry) ? patterns_ : exact_).push_back(entry);
        if (routing == topic_routing::per_aggregate) {
            topics_.push_back(prefixed_topic(prefix, entry.substr(0, entry.find('.'))));
        } else {
            topics_.push_back(is_pattern(entry) ? topic_regex(prefix, entry) : topic_for_event_type(prefix, entry));
        }
    }
    if (!problems.empty()) throw config_error(problems);
    std::sort(topics_.begin(), topics_.end());
    topics_.erase(std::unique(topics_.begin(), topics_.end()), topics_.end());
    std::sort(exact_.begin(), exact_.end());
}

bool subscription::matches(std::string_view event_type) const noexcept {
    if (std::binary_search(exact_.begin(), exact_.end(), event_type)) return true;
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [&](const std::string& pattern) { return glob_matches(pattern, event_type); });
}

}  // namespace domain_events
