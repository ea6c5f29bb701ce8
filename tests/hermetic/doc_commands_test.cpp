// The shell examples of the guide run as written (issue 21): every ```sh runnable block of
// docs/operations.md, docs/relay.md and docs/consuming.md (tests/support/doc_blocks.hpp says
// how a block is read) runs with bash -euo pipefail, under a time bound, in a directory that
// holds the clinic's outbox `clinic.db`, against a `domain-events relay --http` publishing it
// to the mock cluster. A command that exits otherwise than the doc says, or whose output lacks a
// line the doc shows, fails the test with the doc, the line, the command and its output.
//
// The commands get only this environment (docs/operations.md, "Trying the examples", says so):
// PATH (the build's domain-events first), HOME (the directory), DOMAIN_EVENTS_DB=clinic.db,
// KAFKA_BOOTSTRAP_SERVERS (the mock cluster), DOMAIN_EVENTS_ADMIN_TOKEN and RELAY (the relay's
// --http address). No KAFKA_TOPIC_PREFIX: the relay recorded `healthcore` in the outbox, so
// `tail` must find it there. `build/` in the directory is the build tree (consuming.md runs
// build/consumers/...). The outbox: a clinic's day from the demo (`healthcore_demo --no-relay`:
// 120 patients, 20 appointments), its first four patient.created events dead-lettered after
// 10 attempts ("Broker: Message size too large", ids 1 to 4, patients 1 to 4) before the relay
// starts and publishes the rest.
//
// A shell block left unmarked must be listed in `not_runnable` below with the reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/storage/outbox.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "doc_blocks.hpp"
#include "eventually.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using namespace std::chrono_literals;

namespace {

// The shell blocks that cannot run on one machine against the mock cluster, by their first line.
const std::map<std::string, std::map<std::string, std::string>> not_runnable = {
    {"operations.md",
     {{"$ domain-events topics ensure --config topics.json --bootstrap-servers kafka-1:9092",
       "needs the Admin API of a real cluster (the mock has none); the kafka tier's topics_command_test runs it"},
      {"domain-events topics ensure --config topics.json --json              # do the topics exist as expected?",
       "needs the Admin API of a real cluster (the mock has none); the kafka tier's topics_command_test runs it"},
      {"journalctl -u clinic-relay -o cat | jq -r 'select(.level != \"info\") | .message' | tail",
       "reads the systemd journal of an installed unit"}}},
    {"relay.md", {}},
    {"consuming.md", {}},
};

constexpr auto command_time_limit = 30s;
const std::string admin_token = "doc-example-token";

class doc_commands : public ::testing::Test {
protected:
    de::embedded_cluster cluster{1};
    dt::temp_dir dir;   // the commands' working directory
    dt::temp_dir logs;  // their output, kept out of their way
    std::map<std::string, std::string> env;
    std::unique_ptr<dt::child_process> relay;
    std::vector<std::pair<dt::child_process*, std::string>> background;  // with "doc:line: command"
    std::vector<std::unique_ptr<dt::child_process>> background_owned;
    int runs = 0;

    void SetUp() override {
        const auto [made, made_output] = dt::run_command(
            {HEALTHCORE_DEMO, "--db", dir.file("clinic.db"), "--patients", "120", "--appointments", "20", "--no-relay"},
            {}, logs.file("demo.log"));
        ASSERT_EQ(made, 0) << made_output;
        dead_letter_first_patients(4);
        std::filesystem::create_directory_symlink(dt::build_tree(), dir.path() / "build");

        const auto cli_dir = std::filesystem::path(DOMAIN_EVENTS_CLI).parent_path().string();
        env = {{"PATH", cli_dir + ":/usr/local/bin:/usr/bin:/bin"},
               {"HOME", dir.path().string()},
               {"DOMAIN_EVENTS_DB", "clinic.db"},
               {"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()},
               {"DOMAIN_EVENTS_ADMIN_TOKEN", admin_token}};
        relay = std::make_unique<dt::child_process>(
            in_clean_environment({DOMAIN_EVENTS_CLI, "relay", "--http", "127.0.0.1:0", "--topic-prefix", "healthcore"}),
            std::map<std::string, std::string>{}, logs.file("relay.log"));
        const auto port = dt::announced_port(*relay, "http endpoint listening on 127.0.0.1:");
        ASSERT_TRUE(port) << relay->output();
        env["RELAY"] = "127.0.0.1:" + std::to_string(*port);
        httplib::Client client("127.0.0.1", *port);
        ASSERT_TRUE(dt::eventually([&] {
            const auto ready = client.Get("/health/ready");
            return ready && ready->status == 200 && pending() == 0;
        })) << relay->output();
    }

    void TearDown() override {
        for (auto& [child, what] : background) {
            if (const auto ended = child->wait(0ms)) {
                ADD_FAILURE() << what << "\n  ended (exit status " << *ended << ") before the doc's last command; its output:\n"
                              << child->output();
                continue;
            }
            // A command the doc's last line follows at once may not have set up its signal handling
            // yet: SIGTERM's default action is as clean an end for it (the relay's own handling of
            // SIGTERM is relay_process.sigterm_flushes_releases_the_lease_and_exits_zero's subject).
            child->signal(SIGTERM);
            const auto ended = child->wait(30s);
            EXPECT_TRUE(ended == 0 || ended == 128 + SIGTERM)
                << what << ": SIGTERM did not end it cleanly:\n" << child->output();
        }
        if (relay) {
            relay->signal(SIGTERM);
            EXPECT_EQ(relay->wait(30s), 0) << relay->output();
        }
    }

    // The first `n` patient.created events of the outbox, dead-lettered as a relay would.
    void dead_letter_first_patients(std::size_t n) {
        de::database db(dir.file("clinic.db"));
        de::outbox box(db);
        std::size_t moved = 0;
        for (const auto& row : box.next_batch(1'000)) {
            if (row.event_type != "patient.created" || moved == n) continue;
            for (int attempt = 1; attempt <= 10; ++attempt)  // the relay's default DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS
                box.record_failure(row.position, "Broker: Message size too large", de::now_ms());
            box.move_to_dead_letters(row.position, "Broker: Message size too large", de::now_ms());
            ++moved;
        }
        ASSERT_EQ(moved, n);
    }

    std::int64_t pending() {
        de::database db(dir.file("clinic.db"));
        return de::outbox(db).counts(de::now_ms()).pending;
    }

    // `argv` in the commands' directory with exactly their environment (env -i), nothing inherited.
    std::vector<std::string> in_clean_environment(std::vector<std::string> argv) const {
        std::vector<std::string> full = {"/usr/bin/env", "-i", "-C", dir.path().string()};
        for (const auto& [name, value] : env) full.push_back(name + "=" + value);
        // The sanitizers' settings (CI's suppressions among them) are the test run's, not the doc's.
        for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
            if (const char* value = std::getenv(name)) full.push_back(std::string(name) + "=" + value);
        }
        full.insert(full.end(), argv.begin(), argv.end());
        return full;
    }

    // Runs one command as the doc gives it; the failures name `where` (doc:line).
    void run(const dt::doc_command& command, const std::string& where) {
        const auto described = where + ": " + command.text;
        if (command.background) {
            background_owned.push_back(std::make_unique<dt::child_process>(
                in_clean_environment({"/bin/bash", "-euo", "pipefail", "-c", "exec " + command.text}),
                std::map<std::string, std::string>{}, logs.file("background-" + std::to_string(++runs) + ".log")));
            background.emplace_back(background_owned.back().get(), described);
            return;
        }
        // timeout(1) signals the command's whole process group, pipelines included.
        const auto limit = std::to_string(std::chrono::seconds(command_time_limit).count());
        const auto [status, output] = dt::run_command(
            in_clean_environment({"/usr/bin/timeout", "-k", "5", limit, "/bin/bash", "-euo", "pipefail", "-c", command.text}),
            {}, logs.file("command-" + std::to_string(++runs) + ".log"), command_time_limit + 10s);
        if (status == 124) {
            ADD_FAILURE() << described << "\n  still running after " << limit << " s; its output:\n" << output;
            return;
        }
        EXPECT_EQ(status, command.expected_status) << described << "\n  exit status " << status << " (the doc says "
                                                   << command.expected_status << "); its output:\n" << output;
        if (const auto missing = dt::first_missing_line(command.shown_output, output))
            ADD_FAILURE() << described << "\n  the doc shows the line\n    " << *missing
                          << "\n  which its output lacks (in that order):\n" << output;
    }

    // Runs every runnable block of docs/<name> in order, writes its file= blocks where they stand,
    // and checks that every other shell block is listed in `not_runnable`.
    void run_doc(const std::string& name) {
        const auto blocks = dt::parse_doc_blocks(dt::file_bytes(std::string(DOMAIN_EVENTS_DOCS) + "/" + name));
        auto unrun = not_runnable.at(name);
        int commands = 0;
        for (const auto& block : blocks) {
            if (!block.file_name.empty()) std::ofstream(dir.file(block.file_name)) << block.text;
            if (block.runnable) {
                for (const auto& c : block.commands) run(c, "docs/" + name + ":" + std::to_string(c.line));
                commands += static_cast<int>(block.commands.size());
            } else if (block.is_shell() && unrun.erase(block.first_line()) == 0) {
                ADD_FAILURE() << "docs/" << name << ":" << block.line << ": a shell block neither marked runnable nor listed "
                              << "in not_runnable with a reason: " << block.first_line();
            }
        }
        for (const auto& [first_line, reason] : unrun)
            ADD_FAILURE() << "docs/" << name << ": no shell block starts with the line not_runnable lists: " << first_line;
        EXPECT_GT(commands, 0) << "docs/" << name << " has no runnable block";
    }
};

TEST_F(doc_commands, every_runnable_command_of_operations_md_does_what_the_doc_says) { run_doc("operations.md"); }

TEST_F(doc_commands, every_runnable_command_of_relay_md_does_what_the_doc_says) { run_doc("relay.md"); }

TEST_F(doc_commands, every_runnable_command_of_consuming_md_does_what_the_doc_says) { run_doc("consuming.md"); }

}  // namespace
