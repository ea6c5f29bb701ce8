#include "kafka/kafka_log.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <string_view>

#include "kafka/kafka_conf.hpp"

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

void forward(const rd_kafka_t* client, int level, const char* facility, const char* message) {
    // Called on librdkafka's threads; spdlog's loggers are thread-safe.
    const auto* target = static_cast<const kafka_log_target*>(rd_kafka_opaque(client));
    if (target == nullptr || target->logger == nullptr) return;
    target->logger->log(to_spdlog(level, facility), "librdkafka {} {}: {}", rd_kafka_name(client), facility, message);
}

}  // namespace

void route_kafka_logs(rd_kafka_conf_t* conf, kafka_log_target* target) {
    rd_kafka_conf_set_opaque(conf, target);
    rd_kafka_conf_set_log_cb(conf, &forward);
}

void report_kafka_error(rd_kafka_t* client, int error, const char* reason, spdlog::logger& log, std::string_view who,
                        std::optional<std::string>& fatal) {
    if (error == RD_KAFKA_RESP_ERR__FATAL) {
        std::array<char, 512> fatal_reason{};
        const auto cause = rd_kafka_fatal_error(client, fatal_reason.data(), fatal_reason.size());
        fatal = kafka_error_text(cause) + ": " + fatal_reason.data();
        log.error("{} fatal error: {}", who, *fatal);
        return;
    }
    // Transport errors repeat while a broker is away; librdkafka keeps retrying on its own.
    log.warn("{}: {}: {}", who, kafka_error_text(static_cast<rd_kafka_resp_err_t>(error)), reason);
}

}  // namespace domain_events::detail
