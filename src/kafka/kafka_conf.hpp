#pragma once
// Building librdkafka clients from property maps, shared by the relay, topic administration,
// consumers and the tests' clients. Internal.
#include <librdkafka/rdkafka.h>

#include <map>
#include <string>
#include <string_view>

#include "domain_events/detail/handles.hpp"

namespace domain_events::detail {

/** @brief A librdkafka configuration holding `properties`. @throws config_error naming the refused property. */
[[nodiscard]] kafka_conf make_kafka_conf(const std::map<std::string, std::string>& properties, std::string_view who);

/** @brief A client of `type` owning `conf`. @throws config_error with librdkafka's reason. */
[[nodiscard]] kafka_handle make_kafka_client(rd_kafka_type_t type, kafka_conf conf, std::string_view who);

/** @brief librdkafka's text for an error code. */
[[nodiscard]] std::string kafka_error_text(rd_kafka_resp_err_t err);

}  // namespace domain_events::detail
