// How the doc-commands test reads a guide's fenced blocks (tests/support/doc_blocks.hpp): the
// marker, the two forms of a runnable block, exit statuses, background commands, and how a
// command's output is compared with what the doc shows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "doc_blocks.hpp"

namespace dt = domain_events::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

TEST(doc_blocks, only_blocks_marked_runnable_have_commands_and_file_blocks_keep_their_text) {
    const auto blocks = dt::parse_doc_blocks(
        "# Title\n"
        "```sh\n"
        "systemctl enable --now clinic-relay\n"
        "```\n"
        "text\n"
        "```json file=bad.json\n"
        "{\"event_type\": \"PatientCreated\"}\n"
        "```\n"
        "```sh runnable\n"
        "# a comment\n"
        "domain-events status --db clinic.db   # pending?\n"
        "\n"
        "curl -fsS \"$RELAY/health/ready\"\n"
        "```\n");
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[0].line, 2);
    EXPECT_TRUE(blocks[0].is_shell());
    EXPECT_FALSE(blocks[0].runnable);
    EXPECT_TRUE(blocks[0].commands.empty());
    EXPECT_EQ(blocks[0].first_line(), "systemctl enable --now clinic-relay");
    EXPECT_EQ(blocks[1].language, "json");
    EXPECT_EQ(blocks[1].file_name, "bad.json");
    EXPECT_EQ(blocks[1].text, "{\"event_type\": \"PatientCreated\"}\n");
    ASSERT_EQ(blocks[2].commands.size(), 2u);
    EXPECT_EQ(blocks[2].commands[0].line, 11);
    EXPECT_EQ(blocks[2].commands[0].text, "domain-events status --db clinic.db   # pending?");
    EXPECT_EQ(blocks[2].commands[1].line, 13);
    EXPECT_EQ(blocks[2].commands[1].expected_status, 0);
    EXPECT_FALSE(blocks[2].commands[1].background);
}

TEST(doc_blocks, a_transcript_pairs_each_command_with_the_output_shown_under_it) {
    const auto blocks = dt::parse_doc_blocks(
        "```sh runnable\n"
        "$ domain-events dead-letters list --db clinic.db\n"
        "3      …  patient.created\n"
        "$ domain-events validate bad.json   # exit status 1: problems found\n"
        "event 1: aggregate_version: 0 must be >= 1\n"
        "1 event(s), 1 with problems; nothing was written\n"
        "$ domain-events tail --events patient.created \\\n"
        "    --max 5\n"
        "```\n");
    ASSERT_EQ(blocks.size(), 1u);
    const auto& c = blocks[0].commands;
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].text, "domain-events dead-letters list --db clinic.db");
    EXPECT_THAT(c[0].shown_output, ElementsAre("3      …  patient.created"));
    EXPECT_EQ(c[1].expected_status, 1);
    EXPECT_EQ(c[1].shown_output.size(), 2u);
    EXPECT_EQ(c[2].line, 7);
    EXPECT_EQ(c[2].text, "domain-events tail --events patient.created \\\n    --max 5");
    EXPECT_TRUE(c[2].shown_output.empty());
}

TEST(doc_blocks, a_command_ending_in_an_ampersand_runs_in_the_background_without_it) {
    const auto blocks = dt::parse_doc_blocks(
        "```sh runnable\n"
        "domain-events relay --db clinic.db &   # brokers: KAFKA_BOOTSTRAP_SERVERS\n"
        "true && domain-events status\n"
        "```\n");
    const auto& c = blocks.at(0).commands;
    ASSERT_EQ(c.size(), 2u);
    EXPECT_TRUE(c[0].background);
    EXPECT_EQ(c[0].text, "domain-events relay --db clinic.db    # brokers: KAFKA_BOOTSTRAP_SERVERS");
    EXPECT_FALSE(c[1].background);
    EXPECT_EQ(c[1].text, "true && domain-events status");
}

TEST(doc_blocks, a_fence_without_an_info_string_opens_a_block_of_no_language) {
    const auto blocks = dt::parse_doc_blocks("```\npoll ─► apply\n```\n");
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].language, "");
    EXPECT_FALSE(blocks[0].is_shell());
}

TEST(doc_blocks, blocks_inside_a_list_item_lose_the_fences_indentation) {
    const auto blocks = dt::parse_doc_blocks("- step:\n  ```sh runnable\n  domain-events status\n  ```\n");
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].commands.at(0).text, "domain-events status");
}

TEST(doc_blocks, malformed_markers_are_refused_naming_the_line) {
    const auto refused = [](const char* markdown) {
        try {
            (void)dt::parse_doc_blocks(markdown);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_THAT(refused("text\n```sh runnable\nls\n"), HasSubstr("line 2: the block is never closed"));
    EXPECT_THAT(refused("```json runnable\n{}\n```\n"), HasSubstr("line 1: only shell blocks can be runnable"));
    EXPECT_THAT(refused("```sh runnable\n# only a comment\n```\n"), HasSubstr("without a command"));
    EXPECT_THAT(refused("```json file=../etc/passwd\n{}\n```\n"), HasSubstr("not a plain file name"));
    EXPECT_THAT(refused("```sh runnable\nshown output first\n$ ls\n```\n"), HasSubstr("line 2: output before"));
}

TEST(doc_blocks, shown_output_lines_must_appear_in_order_with_ellipses_spaces_and_timestamps_free) {
    const std::string actual =
        "1      019a2b3c-0000-7000-8000-000000000001 patient.created          patient/1 dead 2026-12-03T06:50:01.123Z after 10 attempts: Broker: Message size too large\n"
        "3      019a2b3c-0000-7000-8000-000000000003 patient.created          patient/3 dead 2026-12-03T06:50:01.125Z after 10 attempts: Broker: Message size too large\n"
        "  \"lease_held\": true  \n"
        "403\n";
    EXPECT_EQ(dt::first_missing_line({"3      …  patient.created   patient/3 dead 2026-11-23T04:10:00.000Z after 10 attempts: "
                                      "Broker: Message size too large",
                                      "...", "\"lease_held\": true", "403"},
                                     actual),
              std::nullopt);
    EXPECT_EQ(dt::first_missing_line({"403", "3 …"}, actual), "3 …") << "order counts";
    EXPECT_EQ(dt::first_missing_line({"404"}, actual), "404") << "numbers are compared as written";
    EXPECT_EQ(dt::first_missing_line({"patient/3"}, actual), "patient/3") << "a shown line is a whole line";
    EXPECT_EQ(dt::first_missing_line({"\"lease_held\": false"}, actual), "\"lease_held\": false");
    EXPECT_EQ(dt::first_missing_line({"^[a-z0-9_]+(\\.[a-z0-9_]+)+$"}, "^[a-z0-9_]+(\\.[a-z0-9_]+)+$\n"), std::nullopt)
        << "regular expression characters in the doc are plain text";
}

}  // namespace
