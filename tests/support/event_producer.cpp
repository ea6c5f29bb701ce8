#include "event_producer.hpp"

#include <librdkafka/rdkafka.h>

#include <atomic>

#include "domain_events/error.hpp"
#include "kafka/kafka_handles.hpp"

namespace domain_events::testing {

event test_event(const std::string& type, const std::string& id, std::int64_t version) {
    return make_event(type, type.substr(0, type.find('.')), id, version, {{"n", version}});
}

outgoing as_record(const event& e, const std::string& topic) {
    return {topic, e.aggregate_id, serialize(e), {{"event_id", e.event_id}, {"event_type", e.event_type}}, -1};
}

void produce_all(const std::string& bootstrap, const std::vector<outgoing>& records, std::chrono::milliseconds timeout) {
    detail::kafka_conf conf(rd_kafka_conf_new());
    char reason[512];
    for (const auto& [name, value] : std::map<std::string, std::string>{
             {"bootstrap.servers", bootstrap},
             {"enable.idempotence", "true"},
             {"message.max.bytes", "10000000"},
             {"message.timeout.ms", std::to_string(timeout.count())}}) {
        if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
            throw config_error("test producer: " + name + ": " + reason);
        }
    }
    struct tally {
        std::atomic<std::size_t> delivered{0};
        std::atomic<int> first_error{0};
    } results;
    rd_kafka_conf_set_opaque(conf.get(), &results);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        auto& r = *static_cast<tally*>(opaque);
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            int none = 0;
            r.first_error.compare_exchange_strong(none, m->err);
        }
        ++r.delivered;
    });
    detail::kafka_handle producer(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason, sizeof reason));
    if (!producer) throw publish_error(std::string("test producer: ") + reason, -1);
    conf.release();
    for (const auto& r : records) {
        detail::kafka_headers headers(rd_kafka_headers_new(r.headers.size()));
        for (const auto& [name, value] : r.headers) {
            rd_kafka_header_add(headers.get(), name.c_str(), -1, value.data(), static_cast<ssize_t>(value.size()));
        }
        rd_kafka_resp_err_t error;
        // QUEUE_FULL: let deliveries drain, then try again (bounded by the message timeout).
        for (int tries = 0; tries < 1000; ++tries) {
            error = rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(r.topic.c_str()),
                                      RD_KAFKA_V_PARTITION(r.partition), RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
                                      RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers.get()),
                                      RD_KAFKA_V_END);
            if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
            rd_kafka_poll(producer.get(), 100);
        }
        if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw publish_error("test producer: produce to " + r.topic + ": " + rd_kafka_err2str(error), error);
        }
        static_cast<void>(headers.release());  // owned by the message now
    }
    if (const auto error = rd_kafka_flush(producer.get(), static_cast<int>(timeout.count()));
        error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw publish_error(std::string("test producer: flush: ") + rd_kafka_err2str(error), error);
    }
    if (results.first_error.load() != 0) {
        const auto error = static_cast<rd_kafka_resp_err_t>(results.first_error.load());
        throw publish_error(std::string("test producer: delivery: ") + rd_kafka_err2str(error), error);
    }
}

}  // namespace domain_events::testing
