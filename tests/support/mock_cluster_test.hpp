#pragma once
// Base fixture of hermetic tests: a three-broker librdkafka mock cluster of the test's own, a
// scratch directory with the outbox's path in it, and a topic prefix no other test uses.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include "kafka_client.hpp"
#include "temp_dir.hpp"

namespace domain_events::testing {

class mock_cluster_test : public ::testing::Test {
protected:
    explicit mock_cluster_test(const std::string& prefix_stem) : prefix(unique_topic(prefix_stem)) {}

    /** Creates `<prefix>.<type>` for each event type, replicated on all three brokers. */
    void create_topics(const std::vector<std::string>& event_types, int partitions = 4) {
        for (const auto& type : event_types) cluster.create_topic(topic_for_event_type(prefix, type), partitions, 3);
    }

    /** The outbox's counts now, read through a connection of its own. */
    outbox_counts counts() const {
        database db(db_path);
        return outbox(db).counts(now_ms());
    }

    embedded_cluster cluster{3};
    temp_dir dir;
    std::string prefix;
    std::string db_path = dir.file("outbox.db");
};

}  // namespace domain_events::testing
