#include "domain_events/publish/topic_routing.hpp"

#include <algorithm>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

constexpr std::string_view per_event_type_name = "per_event_type";
constexpr std::string_view per_aggregate_name = "per_aggregate";

bool is_topic_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

}  // namespace

std::optional<topic_routing> parse_topic_routing(std::string_view text) noexcept {
    if (text == per_event_type_name) return topic_routing::per_event_type;
    if (text == per_aggregate_name) return topic_routing::per_aggregate;
    return std::nullopt;
}

std::string_view to_string(topic_routing routing) noexcept {
    switch (routing) {
        case topic_routing::per_event_type: return per_event_type_name;
        case topic_routing::per_aggregate: return per_aggregate_name;
    }
    return "invalid";  // a value cast from an out-of-range integer
}

std::string prefixed_topic(std::string_view prefix, std::string_view name) {
    std::string topic;
    topic.reserve(prefix.size() + 1 + name.size());
    topic += prefix;
    if (!topic.empty()) topic += '.';
    topic += name;
    return topic;
}

std::string topic_for(std::string_view prefix, topic_routing routing, std::string_view event_type,
                      std::string_view aggregate_type) {
    return prefixed_topic(prefix, routing == topic_routing::per_aggregate ? aggregate_type : event_type);
}

std::string topic_for_event_type(std::string_view prefix, std::string_view event_type) {
    return prefixed_topic(prefix, event_type);
}

std::string dead_letter_topic(std::string_view prefix) { return prefixed_topic(prefix, "dlq"); }

std::string detail::topic_name_problem(std::string_view topic) {
    if (topic.empty()) return "is empty";
    if (topic == "." || topic == "..") return "is reserved: Kafka refuses '.' and '..' as topic names";
    if (topic.size() > max_topic_length) {
        return "is longer than the " + std::to_string(max_topic_length) + " characters Kafka allows";
    }
    const auto bad = std::find_if_not(topic.begin(), topic.end(), is_topic_char);
    if (bad != topic.end()) {
        return "has the character '" + std::string(1, *bad) + "' at position " +
               std::to_string(bad - topic.begin()) + "; Kafka allows only [a-zA-Z0-9._-]";
    }
    return {};
}

void validate_topic_name(std::string_view topic, std::string_view field) {
    if (auto problem = detail::topic_name_problem(topic); !problem.empty()) {
        throw validation_error(std::string(field), "topic '" + std::string(topic) + "' (" +
                                                       std::to_string(topic.size()) + " characters) " + problem);
    }
}

}  // namespace domain_events
