// The operators' subcommands of `domain-events` run as processes: dead-letters, purge, topics
// ensure, tail, validate; exit codes (0 ok, 1 failure, 2 bad usage) and output, text and --json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>
#include <sstream>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "kafka_client.hpp"
#include "outbox_fill.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

class ops_commands : public ::testing::Test {
protected:
    de::testing::temp_dir dir;
    std::string db_path = dir.file("outbox.db");
    int runs = 0;

    // Runs `domain-events args...`; {exit status, stdout+stderr}.
    // DOMAIN_EVENTS_DB points into the test's directory, so a file created by mistake would show.
    std::pair<int, std::string> run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
        args.insert(args.begin(), DOMAIN_EVENTS_CLI);
        env.emplace("DOMAIN_EVENTS_DB", db_path);
        return de::testing::run_command(std::move(args), env, dir.file("run-" + std::to_string(++runs) + ".log"));
    }
    std::string write_file(const std::string& name, const std::string& text) {
        const auto path = dir.file(name);
        std::ofstream(path) << text;
        return path;
    }
    // Fills `events` events and moves the first `dead` of them to the dead letters; their event ids.
    std::vector<std::string> outbox_with_dead_letters(std::size_t events, std::size_t dead) {
        const auto positions = de::testing::fill_outbox(db_path, {.events = events, .aggregates = events});
        de::database db(db_path);
        de::outbox box(db);
        std::vector<std::string> ids;
        const auto batch = box.next_batch(dead);
        for (const auto& r : batch) {
            box.move_to_dead_letters(r.position, "Broker: Message size too large", de::now_ms());
            ids.push_back(r.event_id);
        }
        return ids;
    }
    de::outbox_counts counts() {
        de::database db(db_path);
        return de::outbox(db).counts(de::now_ms());
    }
};

TEST_F(ops_commands, every_subcommand_has_help) {
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"dead-letters", "--help"}, {"dead-letters", "list", "--help"}, {"dead-letters", "show", "--help"},
             {"dead-letters", "replay", "--help"}, {"dead-letters", "discard", "--help"}, {"purge", "--help"},
             {"topics", "ensure", "--help"}, {"tail", "--help"}, {"validate", "--help"}, {"relay", "--help"}}) {
        const auto [code, out] = run(command);
        EXPECT_EQ(code, 0) << command[0] << ": " << out;
        EXPECT_THAT(out, HasSubstr("Usage:")) << command[0];
    }
}

TEST_F(ops_commands, dead_letters_list_and_show_as_json_and_text) {
    const auto ids = outbox_with_dead_letters(3, 2);
    const auto [code, out] = run({"dead-letters", "list", "--db", db_path, "--json"});
    ASSERT_EQ(code, 0) << out;
    const auto page = nlohmann::json::parse(out);
    ASSERT_EQ(page.at("dead_letters").size(), 2u);
    EXPECT_EQ(page["dead_letters"][0].at("event_id"), ids[0]);
    EXPECT_EQ(page["dead_letters"][1].at("error"), "Broker: Message size too large");
    EXPECT_FALSE(page["dead_letters"][0].contains("envelope")) << "a list leaves payloads out";
    EXPECT_TRUE(page.at("next_after").is_null());

    const auto [paged_code, paged] = run({"dead-letters", "--db", db_path, "--json", "list", "--limit", "1"});
    ASSERT_EQ(paged_code, 0) << paged;
    EXPECT_EQ(nlohmann::json::parse(paged).at("next_after"), page["dead_letters"][0]["id"]);

    const auto [text_code, text] = run({"dead-letters", "list", "--db", db_path});
    EXPECT_EQ(text_code, 0);
    EXPECT_THAT(text, HasSubstr(ids[1]));

    const auto id = page["dead_letters"][0]["id"].get<std::int64_t>();
    const auto [show_code, shown] = run({"dead-letters", "show", std::to_string(id), "--db", db_path, "--json"});
    ASSERT_EQ(show_code, 0) << shown;
    EXPECT_EQ(nlohmann::json::parse(shown).at("envelope").at("event_id"), ids[0]);
}

TEST_F(ops_commands, dead_letters_errors_name_the_argument_and_never_create_a_database) {
    outbox_with_dead_letters(1, 1);
    const auto missing = dir.file("missing.db");
    for (const auto& action : std::vector<std::vector<std::string>>{{"list"}, {"show", "1"}, {"replay", "1"}, {"discard", "1"}}) {
        auto args = std::vector<std::string>{"dead-letters"};
        args.insert(args.end(), action.begin(), action.end());
        args.insert(args.end(), {"--db", missing});
        const auto [code, out] = run(args);
        EXPECT_EQ(code, 2) << action[0] << ": " << out;
        EXPECT_THAT(out, HasSubstr(missing));
    }
    EXPECT_FALSE(std::filesystem::exists(missing));

    const auto [unknown_code, unknown] = run({"dead-letters", "show", "999", "--db", db_path});
    EXPECT_EQ(unknown_code, 1);
    EXPECT_THAT(unknown, HasSubstr("no dead letter with id 999"));
    const auto [bad_code, bad] = run({"dead-letters", "show", "abc", "--db", db_path});
    EXPECT_EQ(bad_code, 2);
    EXPECT_THAT(bad, HasSubstr("ID"));
    const auto [none_code, none] = run({"dead-letters", "replay", "--db", db_path});
    EXPECT_EQ(none_code, 2);
    EXPECT_THAT(none, HasSubstr("--all"));
    const auto [both_code, both] = run({"dead-letters", "replay", "1", "--all", "--db", db_path});
    EXPECT_EQ(both_code, 2);
    EXPECT_THAT(both, HasSubstr("--all"));
    const auto [no_action_code, no_action] = run({"dead-letters", "--db", db_path});
    EXPECT_EQ(no_action_code, 2) << no_action;
    EXPECT_EQ(counts().dead, 1) << "nothing changed";
}

TEST_F(ops_commands, replay_one_and_all_and_discard) {
    const auto ids = outbox_with_dead_letters(4, 3);
    const auto page = nlohmann::json::parse(run({"dead-letters", "list", "--db", db_path, "--json"}).second);
    const auto first = page["dead_letters"][0]["id"].get<std::int64_t>();
    const auto second = page["dead_letters"][1]["id"].get<std::int64_t>();

    const auto [code, out] = run({"dead-letters", "replay", std::to_string(first), "--db", db_path, "--json"});
    ASSERT_EQ(code, 0) << out;
    const auto replayed = nlohmann::json::parse(out);
    EXPECT_EQ(replayed.at("event_id"), ids[0]);
    EXPECT_EQ(counts().pending, 2);
    {
        de::database db(db_path);
        const auto batch = de::outbox(db).next_batch(10);
        ASSERT_EQ(batch.size(), 2u);
        EXPECT_EQ(batch.back().position, replayed.at("position").get<std::int64_t>());
        EXPECT_EQ(batch.back().event_id, ids[0]) << "replayed with its original event_id";
    }

    const auto [discard_code, discarded] = run({"dead-letters", "discard", std::to_string(second), "--db", db_path});
    EXPECT_EQ(discard_code, 0) << discarded;
    const auto [again_code, again] = run({"dead-letters", "discard", std::to_string(second), "--db", db_path});
    EXPECT_EQ(again_code, 1) << again;

    const auto [all_code, all] = run({"dead-letters", "replay", "--all", "--db", db_path, "--json"});
    ASSERT_EQ(all_code, 0) << all;
    EXPECT_EQ(nlohmann::json::parse(all).at("replayed"), 1);
    EXPECT_EQ(counts().dead, 0);
    EXPECT_EQ(counts().pending, 3);
}

TEST_F(ops_commands, commands_refuse_another_applications_database_and_change_nothing_in_it) {
    {
        de::database db(db_path);
        db.execute("PRAGMA journal_mode=DELETE; CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
                   "INSERT INTO customers (name) VALUES ('Grace')");
    }
    const auto before = de::testing::file_bytes(db_path);
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"purge", "--published-older-than", "1d"}, {"dead-letters", "replay", "1"}, {"dead-letters", "replay", "--all"},
             {"dead-letters", "discard", "1"}, {"dead-letters", "list"}, {"dead-letters", "show", "1"}, {"status"},
             {"relay"}}) {
        auto args = command;
        args.insert(args.end(), {"--db", db_path});
        const auto [code, out] = run(args, {{"KAFKA_ENABLED", "false"}});
        EXPECT_EQ(code, 2) << command[0] << ": " << out;
        EXPECT_THAT(out, HasSubstr(db_path)) << command[0];
        EXPECT_THAT(out, HasSubstr("is not an outbox")) << command[0];
    }
    EXPECT_EQ(de::testing::file_bytes(db_path), before) << "a command changed the file (WAL switch, tables)";
    EXPECT_FALSE(std::filesystem::exists(db_path + "-wal"));
}

// A read-only medium, as an unprivileged user sees a file and directory it may not write
// (root writes anyway, so the commands then run as nobody).
TEST_F(ops_commands, read_only_commands_work_on_a_read_only_file_and_directory) {
    outbox_with_dead_letters(3, 1);
    std::filesystem::permissions(db_path, std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                              std::filesystem::perms::others_read);
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                                                 std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
    std::vector<std::string> as_user;
    if (::geteuid() == 0) {
        if (!std::filesystem::exists("/usr/bin/setpriv")) GTEST_SKIP() << "root without setpriv: cannot read as a user";
        as_user = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    }
    const auto run_read_only = [&](std::vector<std::string> args) {
        args.insert(args.begin(), DOMAIN_EVENTS_CLI);
        args.insert(args.begin(), as_user.begin(), as_user.end());
        args.insert(args.end(), {"--db", db_path});
        // The log goes outside the read-only directory.
        return de::testing::run_command(std::move(args), {}, (std::filesystem::temp_directory_path() /
                                                               ("ro-run-" + std::to_string(::getpid()) + ".log")).string());
    };
    const auto [status_code, status] = run_read_only({"status", "--json"});
    EXPECT_EQ(status_code, 0) << status;
    EXPECT_EQ(nlohmann::json::parse(status).at("dead"), 1);
    const auto [list_code, list] = run_read_only({"dead-letters", "list", "--json"});
    EXPECT_EQ(list_code, 0) << list;
    const auto [show_code, show] = run_read_only({"dead-letters", "show", "1", "--json"});
    EXPECT_EQ(show_code, 0) << show;
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);  // for the clean-up
}

TEST_F(ops_commands, purge_deletes_only_published_events_older_than_the_duration) {
    const auto positions = de::testing::fill_outbox(db_path, {.events = 6, .aggregates = 2});
    {
        de::database db(db_path);
        de::outbox box(db);
        box.mark_published_through(positions[2], de::now_ms() - 48h);
        box.mark_published_through(positions[3], de::now_ms());
    }
    const auto [code, out] = run({"purge", "--published-older-than", "1d", "--db", db_path, "--json"});
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(nlohmann::json::parse(out).at("deleted"), 3);
    EXPECT_EQ(counts().published, 1);
    EXPECT_EQ(counts().pending, 2);

    const auto [text_code, text] = run({"purge", "--published-older-than", "30s", "--db", db_path});
    EXPECT_EQ(text_code, 0);
    EXPECT_THAT(text, HasSubstr("deleted 0"));
}

TEST_F(ops_commands, purge_refuses_a_bad_or_missing_duration_naming_it) {
    de::testing::fill_outbox(db_path, {.events = 1, .aggregates = 1});
    for (const auto* bad : {"7x", "d", "-1d", "1.5h", "99999999999999999d"}) {
        const auto [code, out] = run({"purge", "--published-older-than", bad, "--db", db_path});
        EXPECT_EQ(code, 2) << bad << ": " << out;
        EXPECT_THAT(out, HasSubstr("--published-older-than '" + std::string(bad) + "'"));
    }
    const auto [missing_code, missing] = run({"purge", "--db", db_path});
    EXPECT_EQ(missing_code, 2);
    EXPECT_THAT(missing, HasSubstr("--published-older-than"));
    const auto [db_code, db_out] = run({"purge", "--published-older-than", "7d", "--db", dir.file("none.db")});
    EXPECT_EQ(db_code, 2);
    EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));
}

de::event valid_event() { return de::make_event("patient.created", "patient", "7", 1, {{"name", "John Doe"}}); }

TEST_F(ops_commands, validate_reports_every_problem_of_every_event_and_writes_nothing) {
    const auto good = write_file("good.json", de::to_json(valid_event()).dump(2));
    const auto [code, out] = run({"validate", good});
    EXPECT_EQ(code, 0) << out;
    EXPECT_THAT(out, HasSubstr("event 1: valid"));

    auto broken = de::to_json(valid_event());
    broken["event_type"] = "PatientCreated";
    broken["aggregate_version"] = 0;
    broken["data"]["password"] = "hunter2";
    const auto lines = write_file("events.jsonl", de::serialize(valid_event()) + "\n" + broken.dump() + "\n");
    const auto [bad_code, bad] = run({"validate", lines, "--json"});
    EXPECT_EQ(bad_code, 1) << bad;
    const auto report = nlohmann::json::parse(bad);
    EXPECT_FALSE(report.at("valid").get<bool>());
    ASSERT_EQ(report.at("events").size(), 2u);
    EXPECT_TRUE(report["events"][0].at("valid").get<bool>());
    std::vector<std::string> fields;
    for (const auto& p : report["events"][1].at("problems")) fields.push_back(p.at("field"));
    EXPECT_EQ(fields, (std::vector<std::string>{"event_type", "aggregate_version", "data.password"}));
    EXPECT_THAT(bad, ::testing::Not(HasSubstr("hunter2")));

    const auto [stdin_code, from_stdin] = de::testing::run_command(
        {"/bin/sh", "-c", std::string("'") + DOMAIN_EVENTS_CLI + "' validate - --json < '" + lines + "'"},
        {{"DOMAIN_EVENTS_DB", db_path}}, dir.file("run-" + std::to_string(++runs) + ".log"));
    EXPECT_EQ(stdin_code, 1) << from_stdin;
    EXPECT_EQ(nlohmann::json::parse(from_stdin), report) << "- reads stdin";

    const auto [text_code, text] = run({"validate", write_file("typo.json", "{\n  \"event_id\": \n}\n")});
    EXPECT_EQ(text_code, 1);
    EXPECT_THAT(text, HasSubstr("envelope: not valid JSON"));

    const auto [missing_code, missing] = run({"validate", dir.file("nope.json")});
    EXPECT_EQ(missing_code, 2);
    EXPECT_THAT(missing, HasSubstr("nope.json"));
    const auto [none_code, none] = run({"validate"});
    EXPECT_EQ(none_code, 2);
    EXPECT_THAT(none, HasSubstr("FILE"));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 3 + runs) << "only inputs and logs";
}

// 200,000 levels of nesting crashed `validate` (a stack overflow); now it is one problem, named.
TEST_F(ops_commands, validate_names_json_nested_too_deep_instead_of_crashing) {
    auto deep = de::serialize(valid_event());
    const std::size_t levels = 200000;
    deep.replace(deep.find("\"data\":{") + 8, 0, "\"deep\":" + std::string(levels, '[') + std::string(levels, ']') + ",");
    for (const auto& text : {deep, "[" + deep + "]", deep + "\n" + deep + "\n", std::string(levels, '[')}) {
        const auto [code, out] = run({"validate", write_file("deep.json", text), "--json"});
        EXPECT_EQ(code, 1) << out.substr(0, 2000);
        EXPECT_THAT(out, HasSubstr("max_depth")) << out.substr(0, 2000);
    }
}

TEST_F(ops_commands, topics_ensure_reads_the_file_and_names_what_is_wrong_in_it) {
    de::embedded_cluster cluster{1};
    const auto file = write_file("topics.json", R"({"defaults": {"partitions": 2},
        "topics": [{"name": "ops.patient.created"}, {"name": "ops.appointment.booked", "partitions": 6}]})");
    const auto [code, out] = run({"topics", "ensure", "--config", file, "--bootstrap-servers", cluster.bootstrap_servers(), "--json"});
    ASSERT_EQ(code, 0) << out;
    const auto report = nlohmann::json::parse(out).at("topics");
    ASSERT_EQ(report.size(), 2u);
    EXPECT_EQ(report[0].at("topic"), "ops.patient.created");
    EXPECT_EQ(report[0].at("outcome"), "unsupported") << "the mock cluster has no Admin API";

    const auto bad = [&](const std::string& name, const std::string& text, const std::string& named) {
        const auto [bad_code, bad_out] =
            run({"topics", "ensure", "--config", write_file(name, text), "--bootstrap-servers", cluster.bootstrap_servers()});
        EXPECT_EQ(bad_code, 2) << text << ": " << bad_out;
        EXPECT_THAT(bad_out, HasSubstr(named)) << text;
    };
    bad("a.json", R"({"topics": [{"name": "t", "partitions": "six"}]})", "topics[0].partitions");
    bad("b.json", R"({"topics": [{"name": "t", "partition": 3}]})", "topics[0].partition");
    bad("c.json", R"({"topics": [{"name": "t", "partitions": 0}]})", "partitions");
    bad("d.json", R"({"topics": []})", "topics");
    bad("e.json", "not json", "not valid JSON");
    const auto [missing_code, missing] = run({"topics", "ensure", "--bootstrap-servers", cluster.bootstrap_servers()});
    EXPECT_EQ(missing_code, 2);
    EXPECT_THAT(missing, HasSubstr("--config"));
}

TEST_F(ops_commands, tail_refuses_bad_event_types_and_logs_json_when_asked) {
    de::embedded_cluster cluster{1};
    const auto [code, out] = run({"tail", "--events", "patient.created,Bad Type", "--bootstrap-servers", cluster.bootstrap_servers()});
    EXPECT_EQ(code, 2);
    EXPECT_THAT(out, HasSubstr("--events"));
    EXPECT_THAT(out, HasSubstr("Bad Type"));
    const auto [missing_code, missing] = run({"tail", "--bootstrap-servers", cluster.bootstrap_servers()});
    EXPECT_EQ(missing_code, 2);
    EXPECT_THAT(missing, HasSubstr("--events"));

    const auto [json_code, json_log] = run(
        {"tail", "--events", "patient.created", "--timeout", "0.5", "--bootstrap-servers", cluster.bootstrap_servers(),
         "--topic-prefix", "healthcore"},
        {{"LOG_FORMAT", "json"}, {"LOG_LEVEL", "info"}});
    EXPECT_EQ(json_code, 0) << json_log;
    std::istringstream lines(json_log);
    std::string line;
    int logged = 0;
    while (std::getline(lines, line)) {
        const auto entry = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(entry.is_object()) << "not one JSON object per line: " << line;
        EXPECT_TRUE(entry.contains("time") && entry.contains("level") && entry.contains("message")) << line;
        ++logged;
    }
    EXPECT_GE(logged, 2);

    // 1e10 s overflowed steady_clock's nanoseconds into the past: tail stopped at once, printing
    // nothing, with exit status 0 (and 1e300 was an undefined conversion to long).
    const auto [huge_code, huge] =
        run({"tail", "--events", "patient.created", "--timeout", "1e10", "--bootstrap-servers", cluster.bootstrap_servers(),
             "--topic-prefix", "healthcore", "--max", "1"});
    EXPECT_EQ(huge_code, 2) << huge;
    EXPECT_THAT(huge, HasSubstr("--timeout"));

    const auto [level_code, level] = run({"status", "--db", db_path}, {{"LOG_LEVEL", "loud"}});
    EXPECT_EQ(level_code, 2);
    EXPECT_THAT(level, HasSubstr("LOG_LEVEL='loud'"));
}

}  // namespace
