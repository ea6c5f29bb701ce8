#include "consume/dead_letter_producer.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>

#include "kafka/kafka_conf.hpp"

namespace domain_events::detail {

std::map<std::string, std::string> dead_letter_producer_properties(const std::string& bootstrap_servers,
                                                                   std::size_t record_limit,
                                                                   const std::map<std::string, std::string>& user) {
    std::map<std::string, std::string> properties = {
        {"bootstrap.servers", bootstrap_servers},
        {"enable.idempotence", "true"},
        {"linger.ms", "0"},  // one message at a time, waited for: nothing to batch
        {"log_level", "4"},
        {"message.max.bytes", std::to_string(record_limit)},  // librdkafka's 1,000,000 otherwise
    };
    for (const auto& [name, value] : user) properties[name] = value;
    return properties;
}

dead_letter_producer::dead_letter_producer(const std::map<std::string, std::string>& properties, std::string topic,
                                           spdlog::logger& log_to)
    : topic_(std::move(topic)) {
    logger = &log_to;
    auto conf = make_kafka_conf(properties, "consumer dead letters");
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &dead_letter_producer::on_delivery);
    route_kafka_logs(conf.get(), this);
    client_ = make_kafka_client(RD_KAFKA_PRODUCER, std::move(conf), "consumer dead letters");
}

rd_kafka_resp_err_t dead_letter_producer::send(const dead_letter_record& record, std::chrono::milliseconds timeout) {
    kafka_headers headers(rd_kafka_headers_new(record.headers().size()));
    for (const auto& [name, text] : record.headers()) {
        rd_kafka_header_add(headers.get(), name.data(), static_cast<ssize_t>(name.size()), text.data(),
                            static_cast<ssize_t>(text.size()));
    }
    result_.reset();
    const auto sequence = ++sequence_;
    const auto error = rd_kafka_producev(
        client_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(record.key().data(), record.key().size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(record.value().data()), record.value().size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(sequence))), RD_KAFKA_V_END);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return error;
    static_cast<void>(headers.release());  // the message owns them now
    // Wait for this one report: the queue holds nothing else, since each send waits.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!result_ && std::chrono::steady_clock::now() < deadline) rd_kafka_poll(client_.get(), 50);
    if (!result_) {
        // Not acknowledged in time: withdraw it (a late report carries an old sequence number
        // and is ignored); if it reached Kafka anyway, the retry makes a second dead letter.
        rd_kafka_purge(client_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(client_.get(), 0);
    }
    return result_.value_or(RD_KAFKA_RESP_ERR__TIMED_OUT);
}

void dead_letter_producer::on_delivery(rd_kafka_t* client, const rd_kafka_message_t* message, void*) {
    auto& self = static_cast<dead_letter_producer&>(*static_cast<kafka_log_target*>(rd_kafka_opaque(client)));
    if (reinterpret_cast<std::uintptr_t>(message->_private) == self.sequence_) self.result_ = message->err;
}

}  // namespace domain_events::detail
