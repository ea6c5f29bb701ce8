#pragma once
// librdkafka's own log lines, sent to an spdlog logger instead of stderr. Internal.
#include <librdkafka/rdkafka.h>

namespace spdlog { class logger; }

namespace domain_events::detail {

/** @brief What a client's opaque points at (first base of the owning object), so logs find their logger. */
struct kafka_log_target {
    spdlog::logger* logger = nullptr;
};

/**
 * @brief Makes clients built from `conf` log through `target->logger`; sets `target` as the
 *        client's opaque, so it must outlive the client. The log callback is noexcept: a line
 *        that cannot be logged is dropped.
 */
void route_kafka_logs(rd_kafka_conf_t* conf, kafka_log_target* target);

}  // namespace domain_events::detail
