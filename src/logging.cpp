#include "domain_events/logging.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <string_view>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

// `%*` in the JSON pattern: the message as a JSON string, escaped (a message may hold quotes,
// backslashes or newlines, e.g. a broker's error text).
class json_message_flag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const auto quoted = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        dest.append(quoted.data(), quoted.data() + quoted.size());
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<json_message_flag>();
    }
};

std::string setting(const environment& env, std::string_view name, std::string fallback) {
    const auto found = env.find(name);
    return found == env.end() || found->second.empty() ? fallback : found->second;
}

spdlog::level::level_enum level_from(const environment& env) {
    const auto text = setting(env, "LOG_LEVEL", "info");
    // from_str maps anything unknown to `off`: check the spelling first, or a typo silences the logs.
    constexpr std::array<std::string_view, 8> names = {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"};
    for (const auto name : names) {
        if (text == name) return spdlog::level::from_str(text);
    }
    throw config_error("LOG_LEVEL='" + text + "': expected trace, debug, info, warn, error, critical or off");
}

std::unique_ptr<spdlog::formatter> formatter_from(const environment& env) {
    const auto format = setting(env, "LOG_FORMAT", "text");
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    if (format == "json") {
        formatter->add_flag<json_message_flag>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","thread":%t,"message":%*})");
    } else if (format == "text") {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ [%n] [%l] %v");
    } else {
        throw config_error("LOG_FORMAT='" + format + "': expected text or json");
    }
    return formatter;
}

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const environment& env, const std::string& name,
                                            std::shared_ptr<spdlog::sinks::sink> sink) {
    const auto level = level_from(env);
    auto formatter = formatter_from(env);
    if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
    logger->set_formatter(std::move(formatter));
    logger->set_level(level);
    return logger;
}

void configure_default_logger(const environment& env, const std::string& name) {
    spdlog::set_default_logger(make_logger(env, name));
}

}  // namespace domain_events
