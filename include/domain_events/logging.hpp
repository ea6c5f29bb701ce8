#pragma once
/** @file
 * Logging: level and format from the environment, to stderr. The library logs through spdlog's
 * default logger (`library_logger`), which follows LOG_LEVEL and LOG_FORMAT in any program
 * unless the application installs a logger of its own (docs/index.md, "Logging").
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

/**
 * @brief `make_logger` for a value it would refuse: that setting's default (info, text) instead,
 *        and a warning through the new logger naming the variable and the value (cut to 64
 *        characters). @throws std::bad_alloc only.
 */
[[nodiscard]] std::shared_ptr<spdlog::logger> make_lenient_logger(const environment& env, const std::string& name,
                                                                  std::shared_ptr<spdlog::sinks::sink> sink = {});

/** @brief `make_logger`, made spdlog's default logger (the one the library logs to). @throws config_error. */
void configure_default_logger(const environment& env, const std::string& name);

/**
 * @brief The logger the library logs to when given none: spdlog's default logger. While that is
 *        still the one spdlog starts with (unnamed, colours on stdout), it is first replaced by
 *        `make_lenient_logger(process_environment(), "domain_events")`, so the library's logs
 *        follow LOG_LEVEL and LOG_FORMAT and go to stderr in any program. A logger the
 *        application made the default (`spdlog::set_default_logger`, `configure_default_logger`)
 *        is returned as it is: install it before creating the library's objects, which keep the
 *        logger they were given. Thread-safe; never throws (out of memory: spdlog's own logger).
 */
[[nodiscard]] std::shared_ptr<spdlog::logger> library_logger() noexcept;

}  // namespace domain_events
