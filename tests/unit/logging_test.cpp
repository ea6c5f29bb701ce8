// Logging set-up from LOG_LEVEL and LOG_FORMAT: JSON lines that stay JSON whatever the message
// holds, levels honoured, bad values refused naming the variable (or, leniently, warned of);
// the library's own logger on stderr unless the application installs one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <domain_events/error.hpp>
#include <domain_events/logging.hpp>

#include <nlohmann/json.hpp>

#include <sstream>

namespace de = domain_events;

namespace {

std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));  // throws if not JSON
    return lines;
}

TEST(logging, json_format_writes_one_object_per_line_with_the_message_escaped) {
    std::ostringstream out;
    auto log = de::make_logger({{"LOG_FORMAT", "json"}, {"LOG_LEVEL", "info"}}, "relay",
                               std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    log->info("broker said \"no\"\nthen {}", "C:\\path");
    log->debug("not shown at info");
    log->warn("second");
    const auto lines = json_lines(out.str());
    ASSERT_EQ(lines.size(), 2u) << out.str();
    EXPECT_EQ(lines[0].at("message"), "broker said \"no\"\nthen C:\\path");
    EXPECT_EQ(lines[0].at("level"), "info");
    EXPECT_EQ(lines[0].at("logger"), "relay");
    EXPECT_THAT(lines[0].at("time").get<std::string>(), ::testing::MatchesRegex("....-..-..T..:..:..\\....Z"));
    EXPECT_EQ(lines[1].at("level"), "warning");
}

TEST(logging, text_is_the_default_and_bad_values_are_refused_naming_the_variable) {
    std::ostringstream out;
    auto log = de::make_logger({}, "cli", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    log->info("hello");
    EXPECT_THAT(out.str(), ::testing::HasSubstr("[cli] [info] hello"));
    try {
        (void)de::make_logger({{"LOG_LEVEL", "loud"}}, "x");
        FAIL() << "accepted LOG_LEVEL=loud";
    } catch (const de::config_error& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("LOG_LEVEL='loud'"));
    }
    try {
        (void)de::make_logger({{"LOG_FORMAT", "xml"}}, "x");
        FAIL() << "accepted LOG_FORMAT=xml";
    } catch (const de::config_error& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("LOG_FORMAT='xml'"));
    }
}

TEST(logging, the_lenient_logger_follows_the_environment_and_warns_of_a_value_it_does_not_know) {
    std::ostringstream out;
    auto log = de::make_lenient_logger({{"LOG_LEVEL", "debug"}, {"LOG_FORMAT", "json"}}, "app",
                                       std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    log->debug("shown at debug");
    const auto lines = json_lines(out.str());
    ASSERT_EQ(lines.size(), 1u) << out.str();
    EXPECT_EQ(lines[0].at("message"), "shown at debug");

    std::ostringstream fallback;
    const std::string long_value(10'000, 'x');
    auto defaults = de::make_lenient_logger({{"LOG_LEVEL", long_value}, {"LOG_FORMAT", "xml"}}, "app",
                                            std::make_shared<spdlog::sinks::ostream_sink_mt>(fallback));
    defaults->debug("hidden at info");
    defaults->info("plain text");
    const auto text = fallback.str();
    EXPECT_THAT(text, ::testing::HasSubstr("[app] [warning] LOG_LEVEL='" + std::string(64, 'x') + "...'"));
    EXPECT_THAT(text, ::testing::HasSubstr("[app] [warning] LOG_FORMAT='xml': expected text or json"));
    EXPECT_THAT(text, ::testing::HasSubstr("[app] [info] plain text"));
    EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("hidden")));
    EXPECT_LT(text.size(), 1000u) << "the value is cut short, not echoed whole";
}

// spdlog's default logger, put back when a test is done with it.
class default_logger_guard {
public:
    default_logger_guard() : saved_(spdlog::default_logger()) {}
    ~default_logger_guard() { spdlog::set_default_logger(saved_); }
    default_logger_guard(const default_logger_guard&) = delete;
    default_logger_guard& operator=(const default_logger_guard&) = delete;

private:
    std::shared_ptr<spdlog::logger> saved_;
};

TEST(logging, the_library_replaces_spdlogs_stdout_logger_with_one_on_stderr_and_keeps_an_applications) {
    const default_logger_guard guard;
    // What spdlog makes the default at start-up (details/registry-inl.h).
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::ansicolor_stdout_sink_mt>()));
    const auto library = de::library_logger();
    EXPECT_EQ(library->name(), "domain_events");
    ASSERT_EQ(library->sinks().size(), 1u);
    EXPECT_NE(dynamic_cast<spdlog::sinks::stderr_sink_mt*>(library->sinks().front().get()), nullptr);
    EXPECT_EQ(spdlog::default_logger(), library) << "replaced once, then kept";
    EXPECT_EQ(de::library_logger(), library);

    std::ostringstream out;
    const auto own = std::make_shared<spdlog::logger>("app", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    spdlog::set_default_logger(own);
    EXPECT_EQ(de::library_logger(), own) << "an application's own logger is the library's";
}

}  // namespace
