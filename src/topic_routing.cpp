#include "domain_events/topic_routing.hpp"

#include <algorithm>

#include "domain_events/error.hpp"

namespace domain_events {

std::optional<topic_routing> parse_topic_routing(std::string_view text) noexcept {
    if (text == "per_event_type") return topic_routing::per_event_type;
    if (text == "per_aggregate") return topic_routing::per_aggregate;
    return std::nullopt;
}

std::string_view to_string(topic_routing routing) noexcept {
    return routing == topic_routing::per_aggregate ? "per_aggregate" : "per_event_type";
}

std::string prefixed_topic(std::string_view prefix, std::string_view name) {
    std::string topic(prefix);
    if (!topic.empty()) topic += '.';
    topic += name;
    return topic;
}

std::string topic_for(std::string_view prefix, topic_routing routing, std::string_view event_type,
                      std::string_view aggregate_type) {
    return prefixed_topic(prefix, routing == topic_routing::per_aggregate ? aggregate_type : event_type);
}

std::string dead_letter_topic(std::string_view prefix) { return prefixed_topic(prefix, "dlq"); }

void validate_topic_name(std::string_view topic, std::string_view field) {
    constexpr std::size_t max_length = 249;
    const auto fail = [&](const std::string& why) {
        return validation_error(std::string(field), "topic '" + std::string(topic) + "' " + why);
    };
    if (topic.empty()) throw fail("is empty");
    if (topic == "." || topic == "..") throw fail("is not a legal Kafka topic name");
    if (topic.size() > max_length) {
        throw fail("is " + std::to_string(topic.size()) + " characters long; Kafka allows at most " +
                   std::to_string(max_length));
    }
    const auto bad = std::find_if_not(topic.begin(), topic.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
    if (bad != topic.end()) throw fail("has the character '" + std::string(1, *bad) + "'; allowed are [a-zA-Z0-9._-]");
}

}  // namespace domain_events
