#include "relay/relay_producer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "kafka/kafka_conf.hpp"
#include "domain_events/error.hpp"
#include "domain_events/publish/kafka_record.hpp"

namespace domain_events::detail {
namespace {

void* as_opaque(std::int64_t position) noexcept { return reinterpret_cast<void*>(static_cast<std::intptr_t>(position)); }
std::int64_t from_opaque(void* opaque) noexcept { return static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(opaque)); }

// A plain decimal number >= `floor`.
bool at_least(const std::string& value, std::size_t floor) {
    std::size_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    return error == std::errc{} && end == value.data() + value.size() && number >= floor;
}

}  // namespace

std::map<std::string, std::string> relay_producer_properties(const std::string& bootstrap_servers,
                                                             std::chrono::milliseconds linger,
                                                             std::size_t max_record_bytes,
                                                             const std::map<std::string, std::string>& user) {
    // Idempotence gives acks=all and in-order retries without duplicates; gapless turns any
    // failure that could leave a hole behind later messages into a fatal error, after which the
    // relay replaces the producer and re-sends from the hole, so nothing overtakes it. The
    // relay decides when to give up, so librdkafka never times a message out by itself.
    // murmur2_random is what Java's default partitioner does for keyed records (Kafka Streams
    // and most other clients too), so a key lands on the same partition whoever produces it;
    // librdkafka's own default (consistent_random, crc32) would not (docs/interop.md).
    std::map<std::string, std::string> properties = {
        {"bootstrap.servers", bootstrap_servers},
        {"enable.idempotence", "true"},
        {"enable.gapless.guarantee", "true"},
        {"message.timeout.ms", "0"},
        {"linger.ms", std::to_string(linger.count())},
        {"batch.num.messages", "10000"},
        {"partitioner", "murmur2_random"},
        {"log_level", "4"},
        // Every record validation accepts (kafka_record_bytes <= max_record_bytes) is let
        // through; a batch of several stays within the limit too, so a topic whose
        // max.message.bytes is the limit takes any batch (docs/interop.md, "Size limits").
        {"message.max.bytes", std::to_string(max_record_bytes)},
        {"batch.size", std::to_string(std::min<std::size_t>(1'000'000, max_record_bytes - record_framing_bytes))},
    };
    for (const auto& [name, value] : user) {
        if ((name == "enable.idempotence" || name == "enable.gapless.guarantee") && value != "true") {
            throw config_error("relay: librdkafka property " + name + "='" + value +
                               "' would let a failed message be overtaken; the relay requires true");
        }
        if (name == "acks" && value != "all" && value != "-1") {
            throw config_error("relay: librdkafka property acks='" + value +
                               "' does not wait for every in-sync replica; the relay requires all");
        }
        if (name == "message.max.bytes" && !at_least(value, max_record_bytes)) {
            throw config_error("relay: librdkafka property message.max.bytes='" + value +
                               "' is below DOMAIN_EVENTS_MAX_PAYLOAD_BYTES (" + std::to_string(max_record_bytes) +
                               "): the producer would refuse events validation accepts");
        }
        properties[name] = value;
    }
    return properties;
}

bool is_permanent_refusal(rd_kafka_resp_err_t error) noexcept {
    switch (error) {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_MSG:
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        case RD_KAFKA_RESP_ERR__INVALID_ARG:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
            return true;
        default:
            return false;
    }
}

relay_producer::relay_producer(const std::map<std::string, std::string>& properties, spdlog::logger& log_to,
                               envelope_format format)
    : writer_(format) {
    logger = &log_to;
    auto conf = make_kafka_conf(properties, "relay");
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &relay_producer::on_delivery);
    rd_kafka_conf_set_error_cb(conf.get(), &relay_producer::on_error);
    route_kafka_logs(conf.get(), this);
    client_ = make_kafka_client(RD_KAFKA_PRODUCER, std::move(conf), "relay");
}

relay_producer::~relay_producer() {
    // Whatever is still queued is reported as purged, never as delivered; the rows stay pending.
    if (client_) rd_kafka_purge(client_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

rd_kafka_topic_t* relay_producer::topic_handle_for(const std::string& topic) {
    if (const auto found = topics_.find(topic); found != topics_.end()) return found->second.get();
    kafka_topic handle(rd_kafka_topic_new(client_.get(), topic.c_str(), nullptr));
    if (!handle) {
        throw publish_error("relay: topic handle for '" + topic + "': " + kafka_error_text(rd_kafka_last_error()),
                            rd_kafka_last_error());
    }
    return topics_.emplace(topic, std::move(handle)).first->second.get();
}

rd_kafka_resp_err_t relay_producer::produce(const outbox_message& message, const std::string& topic) {
    const kafka_record* record = nullptr;
    try {
        record = &writer_.write(message);
    } catch (const validation_error& e) {
        logger->error("relay: {}", e.what());
        return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    kafka_headers headers(rd_kafka_headers_new(record->headers.count));
    for (const auto& h : record->headers.all()) {
        rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
    }
    const auto error = rd_kafka_producev(
        client_.get(), RD_KAFKA_V_RKT(topic_handle_for(topic)),
        RD_KAFKA_V_KEY(record->key.data(), record->key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(record->value.data()), record->value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers.get()),
        RD_KAFKA_V_OPAQUE(as_opaque(message.position)), RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
        static_cast<void>(headers.release());  // the message owns them now
        ++in_flight_;
    }
    return error;
}

void relay_producer::poll(std::chrono::milliseconds timeout) {
    rd_kafka_poll(client_.get(), static_cast<int>(timeout.count()));
}

void relay_producer::take_deliveries(std::vector<delivery>& out) {
    out.clear();
    std::swap(out, deliveries_);
}

void relay_producer::purge() { rd_kafka_purge(client_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT); }

void relay_producer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* self_opaque) {
    auto& self = from(self_opaque);
    --self.in_flight_;
    delivery d{from_opaque(message->_private), message->err, {}};
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) d.reason = kafka_error_text(message->err);
    self.deliveries_.push_back(std::move(d));
}

void relay_producer::on_error(rd_kafka_t* client, int error, const char* reason, void* self_opaque) {
    auto& self = from(self_opaque);
    report_kafka_error(client, error, reason, *self.logger, "relay producer", self.fatal_);
}

}  // namespace domain_events::detail
