#pragma once
// Test-only: a service's outbox, publisher and relay, and a consumer, on one librdkafka mock
// cluster under a topic prefix of the test's own: for the tests of what travels with an event
// (trace context, CloudEvents formats) from a publish to a handler.
#include <gtest/gtest.h>

#include <domain_events/config.hpp>
#include <domain_events/consume/consumer.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "kafka_client.hpp"
#include "prefixed_config.hpp"
#include "temp_dir.hpp"

namespace domain_events::testing {

class interop_fixture : public ::testing::Test {
protected:
    explicit interop_fixture(const std::string& stem) : prefix(unique_topic(stem)) {}

    /** A service's settings: its outbox in `db_file` of the test's directory. */
    [[nodiscard]] config service(const std::string& db_file, envelope_format format = envelope_format::native) const {
        auto c = prefixed_config(prefix);
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.database_path = dir.file(db_file);
        c.relay_poll_interval = std::chrono::milliseconds{5};
        c.envelope_format = format;
        return c;
    }

    /** Publishes what the service's outbox holds and waits until Kafka acknowledged all of it. */
    static void relay_all(const config& c) {
        relay_options o;
        o.initial_backoff = std::chrono::milliseconds{10};
        relay r(c, o);
        r.start();
        EXPECT_TRUE(r.wait_until_published(std::chrono::seconds{30}));
        r.stop();
    }

    [[nodiscard]] std::string topic(const std::string& event_type) const { return topic_for_event_type(prefix, event_type); }

    /** Reads `count` records of `event_type`'s topic from the start. */
    [[nodiscard]] std::vector<record> records(const std::string& event_type, std::size_t count) const {
        return consume(cluster.bootstrap_servers(), topic(event_type), "check-" + new_event_id(), count,
                       std::chrono::seconds{30});
    }

    /** Options of a consumer group reading `types` from the start, its database in `db_file`. */
    [[nodiscard]] consumer_options reader(std::vector<std::string> types, const std::string& db_file) const {
        consumer_options o;
        o.group_id = "reader-" + new_event_id();
        o.event_types = std::move(types);
        o.database_path = dir.file(db_file);
        o.idle_exit = std::chrono::seconds{30};  // a bound for every run; they end on max_events
        o.initial_backoff = std::chrono::milliseconds{1};
        o.max_backoff = std::chrono::milliseconds{5};
        return o;
    }

    embedded_cluster cluster{1};
    temp_dir dir;
    std::string prefix;
};

}  // namespace domain_events::testing
