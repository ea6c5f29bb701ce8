#pragma once
// librdkafka's own log lines, sent to an spdlog logger instead of stderr. Internal.
#include <librdkafka/rdkafka.h>

#include <optional>
#include <string>
#include <string_view>

namespace spdlog { class logger; }

namespace domain_events::detail {

/** @brief What a client's opaque points at (first base of the owning object), so logs find their logger. */
struct kafka_log_target {
    spdlog::logger* logger = nullptr;
};

/**
 * @brief Makes clients built from `conf` log through `target->logger`; sets `target` as the
 *        client's opaque, so it must outlive the client.
 */
void route_kafka_logs(rd_kafka_conf_t* conf, kafka_log_target* target);

/**
 * @brief The body of an error callback: a fatal error is recorded in `fatal` (the client must
 *        then be replaced or given up) and logged as an error; anything else is a transient
 *        error librdkafka retries by itself, logged as a warning. `who` starts each line.
 */
void report_kafka_error(rd_kafka_t* client, int error, const char* reason, spdlog::logger& log, std::string_view who,
                        std::optional<std::string>& fatal);

}  // namespace domain_events::detail
