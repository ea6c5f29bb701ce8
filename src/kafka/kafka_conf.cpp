#include "kafka/kafka_conf.hpp"

#include "domain_events/config.hpp"
#include "domain_events/error.hpp"

namespace domain_events::detail {

kafka_conf make_kafka_conf(const std::map<std::string, std::string>& properties, std::string_view who) {
    kafka_conf conf(rd_kafka_conf_new());
    char reason[512];
    for (const auto& [name, value] : properties) {
        if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
            std::string why = reason;
            if (is_secret_setting(name) && !value.empty()) {
                // librdkafka's reason may quote the value it refused.
                for (auto at = why.find(value); at != std::string::npos; at = why.find(value, at)) why.replace(at, value.size(), "[redacted]");
            }
            throw config_error(std::string(who) + ": librdkafka property " + name + "='" + printable_setting(name, value) +
                               "': " + why);
        }
    }
    return conf;
}

kafka_handle make_kafka_client(rd_kafka_type_t type, kafka_conf conf, std::string_view who) {
    char reason[512];
    kafka_handle client(rd_kafka_new(type, conf.get(), reason, sizeof reason));
    if (!client) throw config_error(std::string(who) + ": cannot create a Kafka client: " + reason);
    conf.release();  // rd_kafka_new owns it now
    return client;
}

std::string kafka_error_text(rd_kafka_resp_err_t err) {
    return std::string(rd_kafka_err2name(err)) + " (" + rd_kafka_err2str(err) + ")";
}

}  // namespace domain_events::detail
