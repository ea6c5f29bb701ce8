// Topic administration against a real broker: created, then matches, then differs when asked
// for other settings; and a topic ensured on a broker without auto-creation takes records.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <domain_events/error.hpp>
#include <domain_events/kafka/topic_admin.hpp>

#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "prefixed_config.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

// A broker setting, read with DescribeConfigs from the first broker the metadata lists.
std::optional<std::string> broker_setting(const std::string& bootstrap, const std::string& name) {
    char reason[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), reason, sizeof reason);
    std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> client(
        rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason), &rd_kafka_destroy);
    if (!client) throw de::publish_error(std::string("client: ") + reason, -1);
    const rd_kafka_metadata_t* raw = nullptr;
    if (const auto err = rd_kafka_metadata(client.get(), 0, nullptr, &raw, 30000)) {
        throw de::publish_error(std::string("metadata: ") + rd_kafka_err2str(err), err);
    }
    std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> metadata(
        raw, &rd_kafka_metadata_destroy);
    const auto broker = std::to_string(metadata->brokers[0].id);
    std::unique_ptr<rd_kafka_ConfigResource_t, decltype(&rd_kafka_ConfigResource_destroy)> resource(
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, broker.c_str()), &rd_kafka_ConfigResource_destroy);
    std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(rd_kafka_queue_new(client.get()),
                                                                               &rd_kafka_queue_destroy);
    auto* raw_resource = resource.get();
    rd_kafka_DescribeConfigs(client.get(), &raw_resource, 1, nullptr, queue.get());
    std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> result(rd_kafka_queue_poll(queue.get(), 30000),
                                                                                &rd_kafka_event_destroy);
    if (!result) throw de::publish_error("DescribeConfigs: no answer", RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (const auto err = rd_kafka_event_error(result.get())) {
        throw de::publish_error(std::string("DescribeConfigs: ") + rd_kafka_err2str(err), err);
    }
    std::size_t count = 0;
    const auto* const* described =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(result.get()), &count);
    for (std::size_t r = 0; r < count; ++r) {
        std::size_t entries = 0;
        const auto* const* configs = rd_kafka_ConfigResource_configs(described[r], &entries);
        for (std::size_t e = 0; e < entries; ++e) {
            const char* value = rd_kafka_ConfigEntry_value(configs[e]);
            if (name == rd_kafka_ConfigEntry_name(configs[e]) && value != nullptr) return value;
        }
    }
    return std::nullopt;
}

class kafka_topic_admin : public de::testing::kafka_tier {
protected:
    de::config settings(const std::string& stem) const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = bootstrap_;
        c.topic_prefix = de::testing::unique_topic(stem);
        return c;
    }
};

TEST_F(kafka_topic_admin, creates_then_matches_then_names_each_difference) {
    const auto c = settings("topics");
    de::topic_admin admin(c);
    const de::topic_spec spec{topic_prefix_of(c) + ".patient.created",
                              {.partitions = 3, .replication_factor = 1, .retention_ms = 3'600'000}};

    const auto first = admin.ensure(spec);
    EXPECT_EQ(first.topic, spec.name);
    EXPECT_EQ(first.outcome, de::topic_outcome::created) << first;
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, spec.name), (std::vector<int>{1, 1, 1}));

    const auto second = admin.ensure(spec);
    EXPECT_EQ(second.outcome, de::topic_outcome::matches) << second;
    EXPECT_TRUE(second.detail.empty()) << second;

    auto more = spec;
    more.settings.partitions = 6;
    const auto partitions = admin.ensure(more);
    EXPECT_EQ(partitions.outcome, de::topic_outcome::differs) << partitions;
    EXPECT_EQ(partitions.detail, "partitions: want 6, have 3");

    auto other = spec;
    other.settings = {.partitions = 6, .replication_factor = 2, .retention_ms = 60'000};
    const auto all = admin.ensure(other);
    EXPECT_EQ(all.outcome, de::topic_outcome::differs) << all;
    EXPECT_EQ(all.detail, "partitions: want 6, have 3; replication_factor: want 2, have 1; "
                          "retention.ms: want 60000, have 3600000");

    // What is left to the broker is not compared; the topic was left as it was.
    const auto defaults = admin.ensure({spec.name, {.partitions = 3}});
    EXPECT_EQ(defaults.outcome, de::topic_outcome::matches) << defaults;
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, spec.name).size(), 3u);
}

TEST_F(kafka_topic_admin, a_batch_creates_what_is_missing_and_compares_the_rest_in_order) {
    auto c = settings("batch");
    c.topics.replication_factor = 1;
    c.topic_overrides["appointment.booked"] = {.partitions = 2, .replication_factor = 1, .retention_ms = -1};
    de::topic_admin admin(c);
    const auto existing = de::topic_spec_for(c, "patient.created", "patient");
    ASSERT_EQ(admin.ensure(existing).outcome, de::topic_outcome::created);

    const std::vector<de::topic_spec> specs{de::topic_spec_for(c, "appointment.booked", "appointment"), existing,
                                            de::topic_spec_for(c, "patient.updated", "patient")};
    const auto reports = admin.ensure(specs);
    ASSERT_EQ(reports.size(), 3u);
    EXPECT_EQ(reports[0].topic, topic_prefix_of(c) + ".appointment.booked");
    EXPECT_EQ(reports[0], de::topic_outcome::created) << reports[0];
    EXPECT_EQ(reports[1], de::topic_outcome::matches) << reports[1];
    EXPECT_EQ(reports[2], de::topic_outcome::created) << reports[2];
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, specs[0].name).size(), 2u) << "the override's partitions";
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, specs[2].name).size(), 3u) << "the defaults";

    const auto again = admin.ensure(specs);
    for (const auto& r : again) EXPECT_EQ(r, de::topic_outcome::matches) << r << " (retention -1 compares as forever)";
}

TEST_F(kafka_topic_admin, two_admins_racing_for_a_new_topic_get_created_and_matches) {
    // Two relays starting at once: the loser's CreateTopics says TOPIC_ALREADY_EXISTS (or its
    // look-up already sees the topic); either way it compares, and finds what it asked for.
    const auto c = settings("race");
    const de::topic_spec spec{topic_prefix_of(c) + ".patient.created",
                              {.partitions = 2, .replication_factor = 1, .retention_ms = 600'000}};
    for (int round = 0; round < 5; ++round) {
        auto raced = spec;
        raced.name += "-" + std::to_string(round);
        de::topic_admin first(c);
        de::topic_admin second(c);
        auto a = std::async(std::launch::async, [&] { return first.ensure(raced); });
        auto b = std::async(std::launch::async, [&] { return second.ensure(raced); });
        const auto ra = a.get();
        const auto rb = b.get();
        EXPECT_TRUE((ra == de::topic_outcome::created && rb == de::topic_outcome::matches) ||
                    (ra == de::topic_outcome::matches && rb == de::topic_outcome::created))
            << ra << " / " << rb;
    }
}

TEST_F(kafka_topic_admin, a_refusal_by_the_broker_is_an_error_naming_the_topic_and_the_reason) {
    const auto c = settings("refused");
    de::topic_admin admin(c);
    const de::topic_spec spec{topic_prefix_of(c) + ".patient.created", {.replication_factor = 100}};
    try {
        (void)admin.ensure(spec);
        ADD_FAILURE() << "a replication factor of 100 was accepted";
    } catch (const de::publish_error& e) {
        const std::string message = e.what();
        EXPECT_EQ(e.kafka_code(), RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR) << message;
        EXPECT_NE(message.find("'" + spec.name + "'"), std::string::npos) << message;
        EXPECT_NE(message.find("INVALID_REPLICATION_FACTOR"), std::string::npos) << message;
    }
}

TEST_F(kafka_topic_admin, a_topic_ensured_without_auto_creation_takes_records) {
    ASSERT_EQ(broker_setting(bootstrap_, "auto.create.topics.enable"), "false")
        << "this test needs a broker that does not create topics on its own, started with\n"
           "  KAFKA_AUTO_CREATE_TOPICS=false scripts/kafka.sh start\n"
           "(scripts/test.sh does that)";
    const auto c = settings("produce");
    de::topic_admin admin(c);
    const auto spec = de::topic_spec_for(c, "patient.created", "patient");
    ASSERT_EQ(admin.ensure(spec).outcome, de::topic_outcome::created);
    de::testing::produce_one(bootstrap_, spec.name, "patient-1", R"({"id":1})", 30s);
    const auto records = de::testing::consume(bootstrap_, spec.name, spec.name + "-reader", 1, 60s);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].key, "patient-1");
    EXPECT_EQ(records[0].value, R"({"id":1})");
}

}  // namespace
