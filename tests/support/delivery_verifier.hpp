#pragma once
// Checks what reached Kafka against what the outbox committed: nothing lost, nothing reordered
// per key, duplicates counted. Shared by the relay tests (mock cluster, processes, real broker).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <domain_events/config.hpp>

namespace domain_events::testing {

struct committed_event {
    std::int64_t position = 0;
    std::string event_id;
    std::string aggregate_id;
    std::string topic;  ///< where the routing in the settings sends it
    bool dead = false;  ///< in the outbox's dead letters: must not be in Kafka
};

/** Every event of the outbox file, published or pending, plus its dead letters. */
std::vector<committed_event> committed_events(const std::string& db_path, const config& settings);

struct delivered_message {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key;
    std::string event_id;  ///< the `event_id` header
};

/** Every message of `topics` from the beginning to the end of each partition; throws when `timeout` passes first. */
std::vector<delivered_message> read_all(const std::string& bootstrap_servers, const std::vector<std::string>& topics,
                                        std::chrono::milliseconds timeout);

struct verification {
    std::size_t committed = 0;   ///< events that should be in Kafka (dead letters excluded)
    std::size_t delivered = 0;   ///< distinct committed events found
    std::size_t lost = 0;
    std::size_t duplicates = 0;  ///< extra copies (at-least-once re-sends)
    std::size_t reorders = 0;    ///< a key's first occurrences out of commit order, or a key split across partitions
    std::size_t unexpected = 0;  ///< messages of no committed event, of a dead letter, or in the wrong topic/key
    std::vector<std::string> problems;  ///< the first few, readable
    [[nodiscard]] bool ok() const noexcept { return lost == 0 && reorders == 0 && unexpected == 0; }
};

verification verify(const std::vector<committed_event>& committed, const std::vector<delivered_message>& delivered);

std::string describe(const verification& v);

}  // namespace domain_events::testing
