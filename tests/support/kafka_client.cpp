#include "kafka_client.hpp"

#include <librdkafka/rdkafka.h>

#include <atomic>

#include "domain_events/detail/handles.hpp"
#include "domain_events/error.hpp"
#include "domain_events/event.hpp"
#include "kafka/kafka_conf.hpp"

namespace domain_events::testing {
namespace {

using clock = std::chrono::steady_clock;

detail::kafka_conf make_conf(const std::map<std::string, std::string>& properties) {
    return detail::make_kafka_conf(properties, "test kafka client");
}

detail::kafka_handle make_client(rd_kafka_type_t type, detail::kafka_conf conf) {
    return detail::make_kafka_client(type, std::move(conf), "test kafka client");
}

void check(rd_kafka_resp_err_t err, const std::string& what) {
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw publish_error(what + ": " + rd_kafka_err2str(err), err);
}

}  // namespace

void produce_one(const std::string& bootstrap, const std::string& topic, const std::string& key,
                 const std::string& value, std::chrono::milliseconds timeout) {
    auto conf = make_conf({{"bootstrap.servers", bootstrap},
                           {"enable.idempotence", "true"},
                           {"acks", "all"},
                           {"message.timeout.ms", std::to_string(timeout.count())}});
    std::atomic<int> delivery{-1};
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
        static_cast<std::atomic<int>*>(m->_private)->store(m->err);
    });
    auto producer = make_client(RD_KAFKA_PRODUCER, std::move(conf));
    check(rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_KEY(key.data(), key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END),
          "produce to " + topic);
    check(rd_kafka_flush(producer.get(), static_cast<int>(timeout.count())), "flush to " + topic);
    check(static_cast<rd_kafka_resp_err_t>(delivery.load()), "delivery to " + topic);
}

std::vector<record> consume(const std::string& bootstrap, const std::string& topic, const std::string& group,
                            std::size_t count, std::chrono::milliseconds timeout) {
    auto consumer = make_client(RD_KAFKA_CONSUMER, make_conf({{"bootstrap.servers", bootstrap},
                                                              {"group.id", group},
                                                              {"auto.offset.reset", "earliest"},
                                                              {"enable.auto.commit", "false"}}));
    rd_kafka_poll_set_consumer(consumer.get());
    detail::kafka_partition_list topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    check(rd_kafka_subscribe(consumer.get(), topics.get()), "subscribe to " + topic);

    std::vector<record> records;
    const auto deadline = clock::now() + timeout;
    while (records.size() < count && clock::now() < deadline) {
        detail::kafka_message message(rd_kafka_consumer_poll(consumer.get(), 200));
        if (!message) continue;
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        check(message->err, "consume from " + topic);
        record r{rd_kafka_topic_name(message->rkt), message->partition, message->offset,
                 std::string(static_cast<const char*>(message->key), message->key_len),
                 std::string(static_cast<const char*>(message->payload), message->len), {}};
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* name = nullptr;
            const void* value = nullptr;
            std::size_t size = 0;
            for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == 0; ++i) {
                r.headers[name] = std::string(static_cast<const char*>(value), size);
            }
        }
        records.push_back(std::move(r));
    }
    if (!records.empty()) check(rd_kafka_commit(consumer.get(), nullptr, 0), "commit offsets of " + group);
    rd_kafka_consumer_close(consumer.get());
    return records;
}

void create_topic(const std::string& bootstrap, const std::string& topic, int partitions, int replication_factor) {
    auto admin = make_client(RD_KAFKA_PRODUCER, make_conf({{"bootstrap.servers", bootstrap}}));
    char reason[512];
    rd_kafka_NewTopic_t* spec =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, reason, sizeof reason);
    if (spec == nullptr) throw publish_error("create topic " + topic + ": " + reason, -1);
    std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(rd_kafka_queue_new(admin.get()),
                                                                               &rd_kafka_queue_destroy);
    rd_kafka_CreateTopics(admin.get(), &spec, 1, nullptr, queue.get());
    rd_kafka_NewTopic_destroy(spec);
    std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> result(rd_kafka_queue_poll(queue.get(), 60000),
                                                                                &rd_kafka_event_destroy);
    if (!result) throw publish_error("create topic " + topic + ": no answer within 60 s", RD_KAFKA_RESP_ERR__TIMED_OUT);
    check(rd_kafka_event_error(result.get()), "create topic " + topic);
    std::size_t n = 0;
    const auto* const* created = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(result.get()), &n);
    for (std::size_t i = 0; i < n; ++i) check(rd_kafka_topic_result_error(created[i]), "create topic " + topic);
}

std::vector<int> replica_counts(const std::string& bootstrap, const std::string& topic) {
    auto client = make_client(RD_KAFKA_PRODUCER, make_conf({{"bootstrap.servers", bootstrap}}));
    std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> handle(
        rd_kafka_topic_new(client.get(), topic.c_str(), nullptr), &rd_kafka_topic_destroy);
    const rd_kafka_metadata_t* metadata = nullptr;
    check(rd_kafka_metadata(client.get(), 0, handle.get(), &metadata, 30000), "metadata of " + topic);
    std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> owned(metadata,
                                                                                           &rd_kafka_metadata_destroy);
    std::vector<int> counts;
    for (int t = 0; t < metadata->topic_cnt; ++t) {
        for (int p = 0; p < metadata->topics[t].partition_cnt; ++p) {
            counts.push_back(metadata->topics[t].partitions[p].replica_cnt);
        }
    }
    return counts;
}

std::string unique_topic(const std::string& stem) { return stem + "-" + new_event_id(); }

}  // namespace domain_events::testing
