#pragma once
// Test-only: envelopes and a producer that sends many records at once, for the consumer tests
// (duplicates, replays, poison messages interleaved with good ones).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <domain_events/event.hpp>

namespace domain_events::testing {

/** A record to produce; partition -1 lets the key choose. */
struct outgoing {
    std::string topic;
    std::string key;
    std::string value;
    std::map<std::string, std::string> headers;
    std::int32_t partition = -1;
};

/** A valid event of `type` for aggregate `id` at `version` (data: {"n": version}). */
event test_event(const std::string& type, const std::string& id, std::int64_t version = 1);

/** `e` as the relay sends it to `topic`: key aggregate id, value the envelope, event headers. */
outgoing as_record(const event& e, const std::string& topic);

/** Produces every record (idempotent, acks=all) in order and waits for all acknowledgements; throws publish_error. */
void produce_all(const std::string& bootstrap, const std::vector<outgoing>& records,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace domain_events::testing
