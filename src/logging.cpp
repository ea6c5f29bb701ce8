#include "domain_events/logging.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

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

// What LOG_LEVEL and LOG_FORMAT ask for; a value not understood is noted and its default kept.
struct log_settings {
    spdlog::level::level_enum level = spdlog::level::info;
    bool json = false;
    std::vector<std::string> problems;  // `NAME='value': expected ...`, the value cut short
};

std::string setting(const environment& env, std::string_view name, std::string fallback) {
    const auto found = env.find(name);
    return found == env.end() || found->second.empty() ? fallback : found->second;
}

// A value as a message may show it: the environment is not ours, so at most 64 characters.
std::string shown(std::string_view name, const std::string& value) {
    constexpr std::size_t limit = 64;
    const auto cut = value.size() > limit ? value.substr(0, limit) + "..." : value;
    return std::string(name) + "='" + cut + "'";
}

log_settings settings_from(const environment& env) {
    log_settings s;
    const auto level = setting(env, "LOG_LEVEL", "info");
    // from_str maps anything unknown to `off`: check the spelling first, or a typo silences the logs.
    constexpr std::array<std::string_view, 8> names = {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"};
    if (std::find(names.begin(), names.end(), level) != names.end()) {
        s.level = spdlog::level::from_str(level);
    } else {
        s.problems.push_back(shown("LOG_LEVEL", level) + ": expected trace, debug, info, warn, error, critical or off");
    }
    const auto format = setting(env, "LOG_FORMAT", "text");
    s.json = format == "json";
    if (!s.json && format != "text") s.problems.push_back(shown("LOG_FORMAT", format) + ": expected text or json");
    return s;
}

std::shared_ptr<spdlog::logger> build(const log_settings& s, const std::string& name,
                                      std::shared_ptr<spdlog::sinks::sink> sink) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    if (s.json) {
        formatter->add_flag<json_message_flag>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","thread":%t,"message":%*})");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ [%n] [%l] %v");
    }
    if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
    logger->set_formatter(std::move(formatter));
    logger->set_level(s.level);
    return logger;
}

// The logger spdlog creates for itself at start-up: unnamed, one colour sink on stdout.
bool is_spdlog_initial(const spdlog::logger& logger) {
    const auto& sinks = logger.sinks();
    return logger.name().empty() && sinks.size() == 1 &&
           dynamic_cast<const spdlog::sinks::ansicolor_stdout_sink_mt*>(sinks.front().get()) != nullptr;
}

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const environment& env, const std::string& name,
                                            std::shared_ptr<spdlog::sinks::sink> sink) {
    const auto s = settings_from(env);
    if (!s.problems.empty()) {
        std::string all;
        for (const auto& problem : s.problems) all += (all.empty() ? "" : "\n") + problem;
        throw config_error(all);
    }
    return build(s, name, std::move(sink));
}

std::shared_ptr<spdlog::logger> make_lenient_logger(const environment& env, const std::string& name,
                                                    std::shared_ptr<spdlog::sinks::sink> sink) {
    const auto s = settings_from(env);
    auto logger = build(s, name, std::move(sink));
    for (const auto& problem : s.problems) logger->warn("{}; using the default", problem);
    return logger;
}

void configure_default_logger(const environment& env, const std::string& name) {
    spdlog::set_default_logger(make_logger(env, name));
}

std::shared_ptr<spdlog::logger> library_logger() noexcept {
    auto current = spdlog::default_logger();
    if (current && !is_spdlog_initial(*current)) return current;
    try {
        auto replacement = make_lenient_logger(process_environment(), "domain_events");
        spdlog::set_default_logger(replacement);
        return replacement;
    } catch (...) {  // std::bad_alloc: spdlog's own logger will do
        return current;
    }
}

}  // namespace domain_events
