#pragma once
/** @file
 * Logging set-up for the library's programs (`domain-events`, consumers): level and format from
 * the environment. The library itself only logs through spdlog and never configures it.
 */
#include <memory>
#include <string>

#include "domain_events/config.hpp"

namespace spdlog {
class logger;
namespace sinks { class sink; }
}  // namespace spdlog

namespace domain_events {

/**
 * @brief A logger named `name` writing to `sink` (empty: stderr, so stdout stays for a
 *        program's output) with
 *        `LOG_LEVEL` (trace, debug, info, warn, error, critical, off; default info) and
 *        `LOG_FORMAT` (`text`, the default, or `json`: one JSON object per line with `time`
 *        (UTC ISO-8601), `level`, `logger`, `thread` and `message`).
 * @throws config_error naming the variable and its value when either is not one of those.
 */
[[nodiscard]] std::shared_ptr<spdlog::logger> make_logger(const environment& env, const std::string& name,
                                                          std::shared_ptr<spdlog::sinks::sink> sink = {});

/** @brief `make_logger`, made spdlog's default logger (the one the library logs to). @throws config_error. */
void configure_default_logger(const environment& env, const std::string& name);

}  // namespace domain_events
