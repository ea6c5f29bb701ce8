#pragma once
/** @file
 * What a consumer subscribes to: event types and patterns, turned into Kafka topics or a topic
 * regex under either routing, and the check of each received event's type against them.
 */
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/publish/topic_routing.hpp"

namespace domain_events {

/**
 * @brief A set of event types (`patient.created`) and patterns (`patient.*`, `*.deleted`: `*`
 *        stands for any run of lower-case letters, digits, `_` and `.`).
 *
 * Under `per_event_type` an exact type subscribes to `<prefix>.<type>` and a pattern to the
 * regex `^<prefix>\.<pattern>$`; under `per_aggregate` both subscribe to `<prefix>.<resource>`
 * (the part before the first dot), and `matches` filters what arrives there. Immutable, so
 * safe to share between threads.
 */
class subscription {
public:
    /**
     * @brief Checks every entry: an event type (`validate_event_type`) or a pattern of the same
     *        characters plus `*` holding at least one dot. Under `per_aggregate` the resource
     *        part must be literal (a wildcard there would also match `<prefix>.dlq`).
     * @throws config_error naming every bad entry, or the empty list.
     */
    subscription(std::vector<std::string> event_types, std::string prefix, topic_routing routing);

    /**
     * @brief What to hand to `rd_kafka_subscribe`: topic names, and `^...` regexes for patterns
     *        under `per_event_type`; sorted, without repeats.
     */
    [[nodiscard]] const std::vector<std::string>& topics() const noexcept { return topics_; }

    /** @brief True when `event_type` is one of the types or matches one of the patterns. */
    [[nodiscard]] bool matches(std::string_view event_type) const noexcept;

    /** @brief The entries as given (for logs). */
    [[nodiscard]] const std::vector<std::string>& event_types() const noexcept { return event_types_; }

private:
    std::vector<std::string> event_types_;
    std::vector<std::string> exact_;
    std::vector<std::string> patterns_;
    std::vector<std::string> topics_;
};

/** @brief Glob match where `*` stands for any run of characters (including none). */
[[nodiscard]] bool glob_matches(std::string_view pattern, std::string_view text) noexcept;

}  // namespace domain_events
