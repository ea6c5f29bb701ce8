#include "kafka/kafka_log.hpp"

#include <spdlog/spdlog.h>

#include <string_view>

namespace domain_events::detail {
namespace {

spdlog::level::level_enum to_spdlog(int syslog_level, std::string_view facility) {
    // CONFWARN flags settings librdkafka calls experimental, which we chose on purpose.
    if (facility == "CONFWARN") return spdlog::level::debug;
    // FAIL: a connection attempt failed; librdkafka retries, and the error callback reports it.
    if (facility == "FAIL") return spdlog::level::info;
    if (syslog_level <= 3) return spdlog::level::err;
    if (syslog_level == 4) return spdlog::level::warn;
    if (syslog_level <= 6) return spdlog::level::info;
    return spdlog::level::debug;
}

void forward(const rd_kafka_t* client, int level, const char* facility, const char* message) noexcept {
    // Called on librdkafka's threads; spdlog's loggers are thread-safe. Nothing to record an
    // error in on these threads: a line that cannot be logged is lost, never thrown into C.
    try {
        const auto* target = static_cast<const kafka_log_target*>(rd_kafka_opaque(client));
        if (target == nullptr || target->logger == nullptr) return;
        target->logger->log(to_spdlog(level, facility), "librdkafka {} {}: {}", rd_kafka_name(client), facility,
                            message);
    } catch (...) {
    }
}

}  // namespace

void route_kafka_logs(rd_kafka_conf_t* conf, kafka_log_target* target) {
    rd_kafka_conf_set_opaque(conf, target);
    rd_kafka_conf_set_log_cb(conf, &forward);
}

}  // namespace domain_events::detail
