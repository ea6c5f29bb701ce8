#include "kafka/kafka_client.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <exception>
#include <utility>

#include "kafka/kafka_conf.hpp"

namespace domain_events::detail {

kafka_client::kafka_client(void* owner, spdlog::logger& log, std::string who) noexcept
    : kafka_log_target{&log}, owner_(owner), who_(std::move(who)) {}

kafka_client::~kafka_client() = default;

void kafka_client::open(rd_kafka_type_t type, kafka_conf conf, std::string_view config_name) {
    route_kafka_logs(conf.get(), this);
    handle_ = make_kafka_client(type, std::move(conf), config_name);
}

void kafka_client::report_error(int error, const char* reason) {
    if (error == RD_KAFKA_RESP_ERR__FATAL) {
        std::array<char, 512> fatal_reason{};
        const auto cause = rd_kafka_fatal_error(handle_.get(), fatal_reason.data(), fatal_reason.size());
        fatal_ = kafka_error_text(cause) + ": " + fatal_reason.data();
        logger->error("{} fatal error: {}", who_, *fatal_);
        return;
    }
    // Transport errors repeat while a broker is away; librdkafka keeps retrying on its own.
    logger->warn("{}: {}: {}", who_, kafka_error_text(static_cast<rd_kafka_resp_err_t>(error)), reason);
}

void kafka_client::record_callback_failure() noexcept {
    try {
        try {
            throw;
        } catch (const std::exception& e) {
            fatal_ = "a librdkafka callback failed: " + std::string(e.what());
        } catch (...) {
            fatal_ = "a librdkafka callback failed with an unknown exception";
        }
        logger->error("{}: {}; the client must be replaced", who_, *fatal_);
    } catch (...) {
        // Out of memory while recording: a short text stays within the string's own buffer.
        fatal_.emplace("callback failed");
    }
}

}  // namespace domain_events::detail
