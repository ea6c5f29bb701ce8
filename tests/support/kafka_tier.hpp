#pragma once
// Base fixtures of the `kafka` tier: the real brokers' addresses come from the environment.
// Without them every test FAILS with instructions; it never passes or skips silently.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace domain_events::testing {

inline std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : std::string{};
}

/** Why a kafka-tier test fails without KAFKA_BOOTSTRAP_SERVERS, and how to start the broker. */
inline const char* missing_broker_message() {
    return "KAFKA_BOOTSTRAP_SERVERS is not set: the kafka tier needs a real broker. Start one with\n"
           "  eval \"$(scripts/kafka.sh start)\" && export KAFKA_BOOTSTRAP_SERVERS\n"
           "or run every tier with scripts/test.sh, which starts and stops it.";
}

/** Tests against the single-node broker (`scripts/kafka.sh start`). */
class kafka_tier : public ::testing::Test {
protected:
    void SetUp() override {
        bootstrap_ = env_or_empty("KAFKA_BOOTSTRAP_SERVERS");
        ASSERT_FALSE(bootstrap_.empty()) << missing_broker_message();
    }

    std::string bootstrap_;
};

/** Tests against the three-node cluster (`scripts/kafka.sh start --nodes 3 --name cluster`). */
class kafka_cluster_tier : public ::testing::Test {
protected:
    void SetUp() override {
        bootstrap_ = env_or_empty("KAFKA_CLUSTER_BOOTSTRAP_SERVERS");
        ASSERT_FALSE(bootstrap_.empty())
            << "KAFKA_CLUSTER_BOOTSTRAP_SERVERS is not set: this test needs the three-node cluster. Start it with\n"
               "  eval \"$(scripts/kafka.sh start --nodes 3 --name cluster | sed 's/^KAFKA_/KAFKA_CLUSTER_/')\"\n"
               "  export KAFKA_CLUSTER_BOOTSTRAP_SERVERS\n"
               "or run every tier with scripts/test.sh.";
    }

    std::string bootstrap_;
};

}  // namespace domain_events::testing
