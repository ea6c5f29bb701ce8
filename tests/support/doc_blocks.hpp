#pragma once
// The fenced blocks of a Markdown guide, read as the doc-commands test runs them
// (tests/hermetic/doc_commands_test.cpp).
//
// The marker is a word of the info string, so GitHub still highlights the block by its first word:
//
//   ```sh runnable          each command runs, in doc order, and must exit 0
//   ```json file=bad.json   the block's text is written to bad.json before the commands after it run
//
// A runnable block is a script (each line a command; `#` lines are comments) or, when a line
// starts with `$ `, a transcript: `$ ` lines are commands and the lines under one are what it
// prints. A line ending in `\` goes on with the next. A command ending in `# exit status N` must
// exit N; one ending in `&` runs in the background until the doc's end, then gets SIGTERM and
// must exit 0.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domain_events::testing {

/** @brief One command of a runnable block. */
struct doc_command {
    int line = 0;              ///< where it starts in the doc (1-based)
    std::string text;          ///< as bash gets it (continuation lines kept, `&` removed)
    int expected_status = 0;   ///< from a trailing `# exit status N`, else 0
    bool background = false;   ///< it ended in `&`
    std::vector<std::string> shown_output;  ///< a transcript's lines under the command
};

/** @brief One fenced block. */
struct doc_block {
    int line = 0;               ///< the opening fence's line (1-based)
    std::string language;       ///< the info string's first word (`sh`, `json`, ...)
    bool runnable = false;      ///< the info string has the word `runnable`
    std::string file_name;      ///< `file=NAME` in the info string, else empty
    std::string text;           ///< the lines between the fences, each ending in '\n'
    std::vector<doc_command> commands;  ///< a runnable shell block's commands, else empty

    /** @brief A shell block (`sh`, `bash`, `shell`, `console`), runnable or not. */
    [[nodiscard]] bool is_shell() const;
    /** @brief The first line of its text (how the test names a block it leaves unrun). */
    [[nodiscard]] std::string first_line() const;
};

/**
 * @brief Every fenced block of `markdown`, in order.
 * @throws std::runtime_error naming the line for a fence left open, a `file=` name that is not a
 *         plain file name, or a runnable block that is not a shell block or holds no command.
 */
[[nodiscard]] std::vector<doc_block> parse_doc_blocks(std::string_view markdown);

/**
 * @brief The first line of `shown` (what the doc says a command prints) that `actual` does not
 *        have, in order: each shown line must equal a later line of `actual`, where `…` stands
 *        for any text, a run of spaces for any run of spaces, and an ISO-8601 UTC timestamp for
 *        any such timestamp; leading and trailing spaces are ignored, and so is a shown line that
 *        is only `…` or `...` (lines left out). Nothing when every line is there.
 */
[[nodiscard]] std::optional<std::string> first_missing_line(const std::vector<std::string>& shown, std::string_view actual);

}  // namespace domain_events::testing
