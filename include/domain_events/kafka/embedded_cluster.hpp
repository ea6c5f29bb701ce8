#pragma once
/** @file
 * An in-process Kafka cluster (librdkafka's mock cluster) for hermetic tests, fault injection,
 * and the demo's default when no broker is configured. Not a real broker: no durability, no
 * Admin API; never a replacement for testing against Kafka itself.
 */
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "domain_events/config.hpp"
#include "domain_events/detail/handles.hpp"

namespace domain_events {

/**
 * @brief A mock Kafka cluster living as long as this object; clients reach it at `bootstrap_servers()`.
 *
 * Threads: the mock brokers run on a thread of librdkafka's. The members may be called from any
 * thread while the object lives (each hands its change to that thread, or takes the mock's lock,
 * and returns); construct and destroy it on one thread, after every client using it is gone.
 */
class embedded_cluster {
public:
    /** @brief Starts `brokers` mock brokers (ids 1..brokers). @throws publish_error when librdkafka fails. */
    explicit embedded_cluster(int brokers = 1);
    ~embedded_cluster();

    embedded_cluster(const embedded_cluster&) = delete;
    embedded_cluster& operator=(const embedded_cluster&) = delete;

    /** @brief The `bootstrap.servers` value that reaches this cluster (loopback ports). */
    [[nodiscard]] const std::string& bootstrap_servers() const noexcept { return bootstrap_servers_; }
    [[nodiscard]] int broker_count() const noexcept { return brokers_; }

    /** @brief Creates a topic (there is no Admin API on the mock). @throws publish_error. */
    void create_topic(const std::string& topic, int partitions, int replication_factor = 1);

    /** @brief Takes a broker down (-1: all) or back up; connections are refused while down. */
    void set_broker_down(std::int32_t broker_id, bool down);

    /** @brief Delays every response of a broker (-1: all) by `rtt`. */
    void set_round_trip_time(std::int32_t broker_id, std::chrono::milliseconds rtt);

    /**
     * @brief The next requests of type `api_key` (0 = Produce) fail with these librdkafka error
     *        codes, one per request, in order.
     */
    void push_request_errors(std::int16_t api_key, const std::vector<int>& error_codes);

    /** @brief Moves a partition's leadership; -1 leaves it without a leader. */
    void set_partition_leader(const std::string& topic, std::int32_t partition, std::int32_t broker_id);

private:
    void check(int error_code, const std::string& action) const;

    int brokers_;
    detail::kafka_handle owner_;          // librdkafka's book-keeping handle; must outlive the cluster
    detail::kafka_mock_cluster cluster_;  // declared after owner_ so it is destroyed first
    std::string bootstrap_servers_;
};

/**
 * @brief The demo's and the examples' default: when Kafka is enabled and no bootstrap servers
 *        are configured, starts a one-broker embedded cluster and points `settings` at it.
 * @return the cluster (keep it alive as long as anything talks to it), or nullptr when
 *         `settings` already names a broker or Kafka is disabled. Never for production: the
 *         mock keeps messages in memory only.
 * @throws publish_error when librdkafka cannot start the mock cluster.
 */
[[nodiscard]] std::unique_ptr<embedded_cluster> embedded_cluster_unless_configured(config& settings);

}  // namespace domain_events
