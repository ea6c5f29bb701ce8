// A program that never configures logging (the README's quickstart) still logs as the
// environment says, and to stderr: its stdout holds only what it prints itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

TEST(logging_process, a_program_that_never_set_up_logging_logs_json_lines_to_stderr_and_leaves_stdout_alone) {
    de::testing::temp_dir dir;
    const auto errors = dir.file("stderr.log");
    // stdout goes to run_command's file, stderr to a file of its own.
    const auto [status, out] = de::testing::run_command(
        {"/bin/sh", "-c", "exec \"$0\" \"$1\" 2>\"$2\"", EXAMPLE_QUICKSTART, dir.path().string(), errors},
        {{"KAFKA_BOOTSTRAP_SERVERS", ""}, {"KAFKA_ENABLED", "true"}, {"LOG_FORMAT", "json"}, {"LOG_LEVEL", "info"}},
        dir.file("stdout.log"), 120s);
    const auto err = de::testing::file_bytes(errors);
    ASSERT_EQ(status, 0) << out << err;
    EXPECT_EQ(out, "welcome, Ada Lovelace\n") << "nothing but the program's own output on stdout";
    std::istringstream lines(err);
    std::size_t logged = 0;
    for (std::string line; std::getline(lines, line);) {
        const auto parsed = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(parsed.is_object()) << "not a JSON line on stderr: " << line;
        EXPECT_EQ(parsed.value("logger", ""), "domain_events") << line;
        ++logged;
    }
    EXPECT_GT(logged, 0u) << "the relay and the consumer log at info";
}

}  // namespace
