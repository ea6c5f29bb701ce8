#pragma once
// Base fixtures of the `kafka` tier: the real brokers' addresses come from the environment.
// Without them every test FAILS with instructions; it never passes or skips silently.
#include <gtest/gtest.h>

#include <domain_events/config.hpp>

#include <cstdlib>
#include <string>

#include "kafka_client.hpp"
#include "temp_dir.hpp"

namespace domain_events::testing {

inline std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : std::string{};
}

/** Why a test fails without the broker address in `variable`, and how to start that broker. */
inline std::string missing_broker_message(const char* variable, const char* how_to_start) {
    return std::string(variable) + " is not set: " + how_to_start +
           "\nor run every tier with scripts/test.sh, which starts and stops it.";
}

/** A fixture whose tests need the broker address in environment variable `Variable`. */
template <const char* Variable, const char* HowToStart>
class broker_fixture : public ::testing::Test {
protected:
    void SetUp() override {
        bootstrap_ = env_or_empty(Variable);
        ASSERT_FALSE(bootstrap_.empty()) << missing_broker_message(Variable, HowToStart);
    }

    std::string bootstrap_;
};

inline constexpr char single_node_variable[] = "KAFKA_BOOTSTRAP_SERVERS";
inline constexpr char single_node_start[] =
    "the kafka tier needs a real broker. Start one with\n"
    "  eval \"$(scripts/kafka.sh start)\" && export KAFKA_BOOTSTRAP_SERVERS";
inline constexpr char cluster_variable[] = "KAFKA_CLUSTER_BOOTSTRAP_SERVERS";
inline constexpr char cluster_start[] =
    "this test needs the three-node cluster. Start it with\n"
    "  eval \"$(scripts/kafka.sh start --nodes 3 --name cluster | sed 's/^KAFKA_/KAFKA_CLUSTER_/')\"\n"
    "  export KAFKA_CLUSTER_BOOTSTRAP_SERVERS";

/** Tests against the single-node broker (`scripts/kafka.sh start`). */
using kafka_tier = broker_fixture<single_node_variable, single_node_start>;

/** Single-node tests with an outbox of their own and a topic prefix no other run uses. */
class kafka_outbox_tier : public kafka_tier {
protected:
    temp_dir dir;

    /** A config for the broker, its prefix made from `stem`, its outbox in `dir`. */
    domain_events::config settings(const std::string& stem) const {
        domain_events::config c;
        c.bootstrap_servers = bootstrap_;
        c.topic_prefix = unique_topic(stem);
        c.database_path = dir.file("outbox.db");
        return c;
    }
};

/** Tests against the three-node cluster (`scripts/kafka.sh start --nodes 3 --name cluster`). */
using kafka_cluster_tier = broker_fixture<cluster_variable, cluster_start>;

}  // namespace domain_events::testing
