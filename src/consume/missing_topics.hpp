#pragma once
// Which of the topics a consumer subscribes to are not in the cluster yet, and when to look
// again. Decisions only: missing_topics_refresher.hpp asks librdkafka. Internal.
//
// Why a consumer has to look at all: librdkafka matches a subscription against the cluster's
// topics only at its periodic metadata refresh (topic.metadata.refresh.interval.ms, 300 s), so a
// topic the relay creates after the consumer joined would be read minutes later. What is missing:
// - an exact topic (an event type under per_event_type, an aggregate under per_aggregate) that
//   does not exist;
// - a pattern (`patient.*`, per_event_type) that matches no topic;
// - the topic of a type with a handler, when only a pattern subscribes to it: `patient.*` with a
//   handler for `patient.updated` waits for that topic too, even once `patient.created` exists.
// Once nothing is missing, librdkafka's own refresh is enough (it finds topics that only the
// fallback handler would read, within its interval).
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/consume/subscription.hpp"
#include "domain_events/publish/topic_routing.hpp"

namespace domain_events::detail {

/** @brief What a consumer expects to find among the cluster's topics. */
struct expected_topics {
    std::string prefix;
    std::vector<std::string> names;     ///< must each exist; sorted, unique
    std::vector<std::string> patterns;  ///< event-type patterns (`patient.*`): each must match a topic
};

/**
 * @brief The topics `subscribed` reads under `routing`, and under per_event_type the topics of
 *        `handled_types` (types with a handler of their own, all matched by the subscription).
 */
[[nodiscard]] expected_topics expect_topics(const subscription& subscribed, std::string_view prefix,
                                            topic_routing routing, const std::vector<std::string>& handled_types);

/**
 * @brief Whether `topic` matches the regex `subscription` subscribes to for `pattern`,
 *        `^<prefix>\.<pattern>$` with `*` as any run of `[a-z0-9_.]`.
 */
[[nodiscard]] bool pattern_matches_topic(std::string_view prefix, std::string_view pattern,
                                         std::string_view topic) noexcept;

/**
 * @brief The names absent from `existing` and the patterns (as `<prefix>.<pattern>`) that match
 *        none of it; sorted.
 */
[[nodiscard]] std::vector<std::string> missing_among(const expected_topics& expected,
                                                     const std::vector<std::string>& existing);

/** @brief How the missing topics changed at one look. */
struct missing_topics_change {
    std::vector<std::string> found;  ///< missing before, present now
    std::vector<std::string> lost;   ///< present (or not looked at) before, missing now
    [[nodiscard]] bool empty() const noexcept { return found.empty() && lost.empty(); }
};

/**
 * @brief When to look at the cluster's topics: about every `interval` while something is
 *        missing, never once nothing is (until librdkafka reports a subscribed topic unknown).
 *
 * Each pause is drawn at random from [0.8, 1.2] x `interval`: a fixed period falls in step with
 * the group's own timers (the mock cluster answers a first JoinGroup after exactly 3 s), and a
 * metadata answer that arrives while the group's leader waits for its assignor's metadata
 * makes librdkafka 2.0.2 start the join over (rd_kafka_cgrp_metadata_update_check), every time.
 * Not thread-safe.
 */
class missing_topics_schedule {
public:
    using clock = std::chrono::steady_clock;

    /** @brief The first look one pause after `start` (the group's own join looks first). */
    missing_topics_schedule(expected_topics expected, std::chrono::milliseconds interval, clock::time_point start,
                            std::uint64_t seed);

    /** @brief When the next look is due; nullopt while nothing is missing. */
    [[nodiscard]] std::optional<clock::time_point> next_look() const noexcept { return next_; }

    /** @brief The cluster's topics at `now` (those without an error); schedules the next look. */
    missing_topics_change looked(const std::vector<std::string>& existing, clock::time_point now);

    /** @brief A look that got no answer: the next one a pause after `now`. */
    void look_failed(clock::time_point now);

    /**
     * @brief librdkafka reported a subscribed topic unknown (deleted, say): when nothing was
     *        missing, look at `now`. @return true then (news); false while already looking.
     */
    bool reported_unknown(clock::time_point now);

    /** @brief Missing at the last look (empty before the first), sorted. */
    [[nodiscard]] const std::vector<std::string>& missing() const noexcept { return missing_; }

    [[nodiscard]] std::chrono::milliseconds interval() const noexcept { return interval_; }

private:
    clock::duration pause();

    expected_topics expected_;
    std::chrono::milliseconds interval_;
    std::mt19937_64 random_;
    std::vector<std::string> missing_;
    std::optional<clock::time_point> next_;
};

}  // namespace domain_events::detail
