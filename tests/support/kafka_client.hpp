#pragma once
// Test-only Kafka helpers over raw librdkafka: produce and read back records, create topics.
// Shared by the hermetic (mock cluster) and kafka (real broker) tiers.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace domain_events::testing {

struct record {
    std::string topic;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::string key;
    std::string value;
    std::map<std::string, std::string> headers;
};

/** Produces one record with acks=all and idempotence, waits for its acknowledgement; throws publish_error. */
void produce_one(const std::string& bootstrap, const std::string& topic, const std::string& key,
                 const std::string& value, std::chrono::milliseconds timeout = std::chrono::seconds(30));

/** Reads `topic` from the beginning with consumer group `group` until `count` records or `timeout`; commits. */
std::vector<record> consume(const std::string& bootstrap, const std::string& topic, const std::string& group,
                            std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(60));

/** Creates a topic through the Admin API (real brokers only; the mock has no Admin API). */
void create_topic(const std::string& bootstrap, const std::string& topic, int partitions, int replication_factor);

/** Replica count of each partition of `topic`, from a metadata request. */
std::vector<int> replica_counts(const std::string& bootstrap, const std::string& topic);

/** A topic name no other test run uses. */
std::string unique_topic(const std::string& stem);

}  // namespace domain_events::testing
