#pragma once
/** @file
 * Which Kafka topic an event goes to, and what Kafka accepts as a topic name.
 */
#include <cstddef>
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

/** @brief The longest topic name Kafka accepts. */
inline constexpr std::size_t max_topic_length = 249;

/** @brief Reads "per_event_type" or "per_aggregate" (exact spelling); nullopt for anything else. */
[[nodiscard]] std::optional<topic_routing> parse_topic_routing(std::string_view text) noexcept;

/** @brief The name `parse_topic_routing` reads back; "invalid" for a value outside the enum. */
[[nodiscard]] std::string_view to_string(topic_routing routing) noexcept;

/**
 * @brief `name` behind the prefix and a dot; an empty prefix means none (`patient.created`).
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::string prefixed_topic(std::string_view prefix, std::string_view name);

/**
 * @brief The topic an event goes to: `<prefix>.<event_type>` under `per_event_type`,
 *        `<prefix>.<aggregate_type>` under `per_aggregate`. The result is not checked; see
 *        `validate_topic_name`.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::string topic_for(std::string_view prefix, topic_routing routing, std::string_view event_type,
                                    std::string_view aggregate_type);

/**
 * @brief `<prefix>.<event_type>`: the topic a consumer subscribes to for one event type under
 *        `per_event_type` routing.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::string topic_for_event_type(std::string_view prefix, std::string_view event_type);

/**
 * @brief `<prefix>.dlq` (`dlq` without a prefix), where what cannot be processed goes.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::string dead_letter_topic(std::string_view prefix);

/**
 * @brief Refuses a name Kafka would refuse: empty, "." or "..", over 249 characters, or a
 *        character outside `[a-zA-Z0-9._-]`.
 * @param field the field the topic came from, reported as the error's field.
 * @throws validation_error naming `field`, the topic, its length and what is wrong.
 */
void validate_topic_name(std::string_view topic, std::string_view field);

namespace detail {

/**
 * @brief Why Kafka would refuse `topic`, without naming it (e.g. "is empty"); empty when legal.
 *        Shared by `validate_topic_name` and the config checks, which word their errors differently.
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::string topic_name_problem(std::string_view topic);

}  // namespace detail
}  // namespace domain_events
