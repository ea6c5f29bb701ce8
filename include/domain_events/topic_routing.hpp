#pragma once
/** @file
 * Which Kafka topic an event goes to.
 */
#include <optional>
#include <string>
#include <string_view>

namespace domain_events {

/**
 * @brief `per_event_type`: `<prefix>.<event_type>` (consumers subscribe to exactly the types they
 *        want); `per_aggregate`: `<prefix>.<aggregate_type>` (every event of one aggregate totally
 *        ordered in one partition).
 */
enum class topic_routing { per_event_type, per_aggregate };

/** @brief "per_event_type" or "per_aggregate"; empty for anything else. */
[[nodiscard]] std::optional<topic_routing> parse_topic_routing(std::string_view text) noexcept;
[[nodiscard]] std::string_view to_string(topic_routing routing) noexcept;

/** @brief `name` behind the prefix and a dot; an empty prefix means none. */
[[nodiscard]] std::string prefixed_topic(std::string_view prefix, std::string_view name);

/** @brief The topic an event goes to under `routing`. */
[[nodiscard]] std::string topic_for(std::string_view prefix, topic_routing routing, std::string_view event_type,
                                    std::string_view aggregate_type);

/** @brief `<prefix>.dlq`, where consumers send what they cannot process. */
[[nodiscard]] std::string dead_letter_topic(std::string_view prefix);

/**
 * @brief Refuses a name Kafka would refuse: empty, "." or "..", over 249 characters, or a
 *        character outside `[a-zA-Z0-9._-]`.
 * @throws validation_error naming `field`, the topic and what is wrong.
 */
void validate_topic_name(std::string_view topic, std::string_view field);

}  // namespace domain_events
