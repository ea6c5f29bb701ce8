// Logging set-up from LOG_LEVEL and LOG_FORMAT: JSON lines that stay JSON whatever the message
// holds, levels honoured, bad values refused naming the variable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
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

}  // namespace
