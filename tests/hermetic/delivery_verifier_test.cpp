// The delivery verifier's reader against librdkafka's mock cluster: every partition read to its
// end, event ids from headers or envelopes, and a clear error when a partition cannot be finished.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <librdkafka/rdkafka.h>

#include <domain_events/detail/handles.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>

#include <atomic>
#include <map>
#include <optional>
#include <stdexcept>

#include "delivery_verifier.hpp"
#include "kafka_client.hpp"
#include "kafka/kafka_conf.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

/** A producer that writes to chosen partitions, with or without an `event_id` header. */
class producer {
public:
    explicit producer(const std::string& bootstrap) {
        auto conf = de::detail::make_kafka_conf(
            {{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}, {"acks", "all"}}, "test producer");
        rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void* failures) {
            if (m->err) static_cast<std::atomic<int>*>(failures)->fetch_add(1);
        });
        rd_kafka_conf_set_opaque(conf.get(), &failures_);
        handle_ = de::detail::make_kafka_client(RD_KAFKA_PRODUCER, std::move(conf), "test producer");
    }

    void send(const std::string& topic, std::int32_t partition, const std::string& key, const std::string& value,
              const std::optional<std::string>& event_id) {
        de::detail::kafka_headers headers(rd_kafka_headers_new(2));
        rd_kafka_header_add(headers.get(), "event_type", -1, "patient.created", -1);
        if (event_id) rd_kafka_header_add(headers.get(), "event_id", -1, event_id->data(), std::ssize(*event_id));
        const auto err = rd_kafka_producev(
            handle_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_END);
        if (err) throw std::runtime_error("produce to " + topic + ": " + rd_kafka_err2str(err));
        (void)headers.release();  // owned by the message now
    }

    void flush() {
        if (const auto err = rd_kafka_flush(handle_.get(), 30'000)) {
            throw std::runtime_error(std::string("flush: ") + rd_kafka_err2str(err));
        }
        if (failures_.load() != 0) throw std::runtime_error(std::to_string(failures_.load()) + " deliveries failed");
    }

private:
    std::atomic<int> failures_{0};
    de::detail::kafka_handle handle_;
};

class delivery_verifier_hermetic : public ::testing::Test {
protected:
    de::embedded_cluster cluster{3};
    std::string created = de::testing::unique_topic("verifier.patient.created");
    std::string updated = de::testing::unique_topic("verifier.patient.updated");
    std::string idle = de::testing::unique_topic("verifier.idle");

    void SetUp() override {
        cluster.create_topic(created, 3, 3);
        cluster.create_topic(updated, 1, 3);
        cluster.create_topic(idle, 2, 1);
    }

    static std::string envelope(const std::string& event_id) {
        return R"({"event_id":")" + event_id + R"(","event_type":"patient.updated","aggregate_id":"p-2"})";
    }
};

TEST_F(delivery_verifier_hermetic, reads_every_partition_to_its_end_with_keys_offsets_and_event_ids) {
    producer p(cluster.bootstrap_servers());
    p.send(created, 0, "p-1", "{}", "e1");
    p.send(created, 0, "p-1", "{}", "e3");
    p.send(created, 2, "p-2", "{}", "e2");
    p.send(created, 0, "p-1", "{}", "e3");  // a re-send
    p.send(updated, 0, "p-2", envelope("e4"), std::nullopt);  // no header: the envelope says
    p.send(updated, 0, "p-2", "not json", std::nullopt);      // neither
    p.flush();
    // partition 1 of `created` and all of `idle` stay empty: an empty partition ends at once.

    const auto messages = de::testing::read_all(cluster.bootstrap_servers(), {created, updated, idle}, 30s);

    std::map<std::pair<std::string, std::int32_t>, std::vector<de::testing::delivered_message>> by_partition;
    for (const auto& m : messages) by_partition[{m.topic, m.partition}].push_back(m);
    ASSERT_EQ(messages.size(), 6u);
    ASSERT_EQ(by_partition.size(), 3u);

    const auto& c0 = by_partition[{created, 0}];
    ASSERT_EQ(c0.size(), 3u);
    for (std::size_t i = 0; i < c0.size(); ++i) {
        EXPECT_EQ(c0[i].offset, static_cast<std::int64_t>(i)) << "offset order within a partition";
        EXPECT_EQ(c0[i].key, "p-1");
    }
    EXPECT_EQ(c0[0].event_id, "e1");
    EXPECT_EQ(c0[1].event_id, "e3");
    EXPECT_EQ(c0[2].event_id, "e3");

    const auto& c2 = by_partition[{created, 2}];
    ASSERT_EQ(c2.size(), 1u);
    EXPECT_EQ(c2[0].key, "p-2");
    EXPECT_EQ(c2[0].event_id, "e2");

    const auto& u0 = by_partition[{updated, 0}];
    ASSERT_EQ(u0.size(), 2u);
    EXPECT_EQ(u0[0].event_id, "e4") << "taken from the envelope when there is no header";
    EXPECT_EQ(u0[1].event_id, "") << "neither header nor envelope";

    // And the verdict on what was read: one duplicate, one message of no event.
    const std::vector<de::testing::committed_event> committed = {
        {.position = 1, .event_id = "e1", .aggregate_id = "p-1", .topic = created},
        {.position = 2, .event_id = "e2", .aggregate_id = "p-2", .topic = created},
        {.position = 3, .event_id = "e3", .aggregate_id = "p-1", .topic = created},
        {.position = 4, .event_id = "e4", .aggregate_id = "p-2", .topic = updated},
    };
    const auto v = de::testing::verify(committed, messages);
    EXPECT_EQ(v.delivered, 4u) << de::testing::describe(v);
    EXPECT_EQ(v.lost, 0u);
    EXPECT_EQ(v.duplicates, 1u);
    EXPECT_EQ(v.reorders, 0u);
    EXPECT_EQ(v.unexpected, 1u);
}

TEST_F(delivery_verifier_hermetic, empty_topics_read_as_nothing) {
    EXPECT_TRUE(de::testing::read_all(cluster.bootstrap_servers(), {idle}, 30s).empty());
    EXPECT_TRUE(de::testing::read_all(cluster.bootstrap_servers(), {}, 30s).empty());
}

TEST_F(delivery_verifier_hermetic, a_partition_that_cannot_be_read_to_its_end_times_out_naming_it) {
    producer p(cluster.bootstrap_servers());
    p.send(created, 0, "p-1", "{}", "e1");
    p.send(created, 1, "p-3", "{}", "e5");
    p.flush();
    cluster.set_partition_leader(created, 1, -1);  // no leader: nothing to fetch from

    try {
        (void)de::testing::read_all(cluster.bootstrap_servers(), {created}, 3s);
        FAIL() << "expected a timeout";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_THAT(what, HasSubstr("after 3000 ms"));
        EXPECT_THAT(what, HasSubstr(created + "[1]"));
        EXPECT_THAT(what, ::testing::Not(HasSubstr(created + "[0]"))) << "partition 0 was read to its end";
        EXPECT_THAT(what, ::testing::Not(HasSubstr(created + "[2]")));
    }
}

}  // namespace
