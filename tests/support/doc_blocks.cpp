#include "doc_blocks.hpp"

#include <regex>
#include <sstream>
#include <stdexcept>

namespace domain_events::testing {

namespace {

constexpr std::string_view ellipsis = "\u2026";  // …

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return std::string(s.substr(first, last - first + 1));
}

bool starts_with_fence(std::string_view line) { return trimmed(line).rfind("```", 0) == 0; }

std::vector<std::string> words_of(const std::string& info) {
    std::istringstream in(info);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

// A command line ending in "# exit status N" (N: what it must exit with), else nothing.
std::optional<int> stated_status(const std::string& command) {
    static const std::regex exit_comment(R"(#\s*exit status (\d+))");
    std::smatch m;
    if (!std::regex_search(command, m, exit_comment)) return std::nullopt;
    return std::stoi(m[1].str());
}

// Takes a trailing "&" (not "&&") off `command`, before any trailing comment; true when there was one.
bool take_background_mark(std::string& command) {
    static const std::regex background(R"((^|[^&])&(\s*(#.*)?)$)");
    std::smatch m;
    if (!std::regex_search(command, m, background)) return false;
    const auto at = static_cast<std::size_t>(m.position(0) + m.length(1));
    command.erase(at, 1);
    return true;
}

doc_command make_command(int line, std::string text) {
    doc_command c;
    c.line = line;
    c.expected_status = stated_status(text).value_or(0);
    c.background = take_background_mark(text);
    c.text = std::move(text);
    return c;
}

// Splits a runnable block's lines into commands (see the header for the two forms).
std::vector<doc_command> commands_of(const std::vector<std::string>& lines, int first_line) {
    bool transcript = false;
    for (const auto& l : lines) transcript = transcript || l.rfind("$ ", 0) == 0;
    std::vector<doc_command> commands;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const int line = first_line + static_cast<int>(i);
        std::string text;
        if (transcript) {
            if (lines[i].rfind("$ ", 0) != 0) {
                if (commands.empty()) throw std::runtime_error("line " + std::to_string(line) + ": output before any `$ ` command");
                commands.back().shown_output.push_back(lines[i]);
                continue;
            }
            text = lines[i].substr(2);
        } else {
            const auto t = trimmed(lines[i]);
            if (t.empty() || t.front() == '#') continue;
            text = lines[i];
        }
        while (!text.empty() && text.back() == '\\' && i + 1 < lines.size()) text += "\n" + lines[++i];
        commands.push_back(make_command(line, std::move(text)));
    }
    return commands;
}

// The regular expression a shown output line stands for (see first_missing_line).
std::regex pattern_of(const std::string& shown) {
    static const std::regex timestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
    std::string re;
    for (std::size_t i = 0; i < shown.size();) {
        std::smatch m;
        const std::string rest = shown.substr(i);
        if (std::regex_search(rest, m, timestamp, std::regex_constants::match_continuous)) {
            re += R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)";
            i += static_cast<std::size_t>(m.length(0));
        } else if (shown.compare(i, ellipsis.size(), ellipsis) == 0) {
            re += ".*";
            i += ellipsis.size();
        } else if (shown[i] == ' ' || shown[i] == '\t') {
            re += R"(\s+)";
            while (i < shown.size() && (shown[i] == ' ' || shown[i] == '\t')) ++i;
        } else {
            if (std::string_view(R"(\^$.|?*+()[]{})").find(shown[i]) != std::string_view::npos) re += '\\';
            re += shown[i++];
        }
    }
    return std::regex(re);
}

}  // namespace

bool doc_block::is_shell() const {
    return language == "sh" || language == "bash" || language == "shell" || language == "console";
}

std::string doc_block::first_line() const { return text.substr(0, text.find('\n')); }

std::vector<doc_block> parse_doc_blocks(std::string_view markdown) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(markdown)};
    for (std::string l; std::getline(in, l);) lines.push_back(l);

    std::vector<doc_block> blocks;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!starts_with_fence(lines[i])) continue;
        doc_block block;
        block.line = static_cast<int>(i) + 1;
        const auto indent = lines[i].find('`');
        const auto info = lines[i].find_first_not_of('`', indent);
        const auto words = words_of(info == std::string::npos ? std::string() : lines[i].substr(info));
        if (!words.empty()) block.language = words.front();
        for (std::size_t w = 1; w < words.size(); ++w) {
            if (words[w] == "runnable") block.runnable = true;
            if (words[w].rfind("file=", 0) == 0) block.file_name = words[w].substr(5);
        }
        const auto where = "line " + std::to_string(block.line) + ": ";
        if (block.file_name.find_first_of("/\\") != std::string::npos || block.file_name == "." || block.file_name == "..")
            throw std::runtime_error(where + "file=" + block.file_name + " is not a plain file name");
        std::vector<std::string> body;
        for (++i; i < lines.size() && !starts_with_fence(lines[i]); ++i) {
            std::size_t strip = 0;  // the fence's indentation (a block inside a list item)
            while (strip < indent && strip < lines[i].size() && lines[i][strip] == ' ') ++strip;
            body.push_back(lines[i].substr(strip));
        }
        if (i == lines.size()) throw std::runtime_error(where + "the block is never closed");
        for (const auto& l : body) block.text += l + "\n";
        if (block.runnable) {
            if (!block.is_shell()) throw std::runtime_error(where + "only shell blocks can be runnable, not " + block.language);
            block.commands = commands_of(body, block.line + 1);
            if (block.commands.empty()) throw std::runtime_error(where + "a runnable block without a command");
        }
        blocks.push_back(std::move(block));
    }
    return blocks;
}

std::optional<std::string> first_missing_line(const std::vector<std::string>& shown, std::string_view actual) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(actual)};
    for (std::string l; std::getline(in, l);) lines.push_back(trimmed(l));
    std::size_t next = 0;
    for (const auto& s : shown) {
        const auto wanted = trimmed(s);
        if (wanted.empty() || wanted == "..." || wanted == ellipsis) continue;
        const auto pattern = pattern_of(wanted);
        while (next < lines.size() && !std::regex_match(lines[next], pattern)) ++next;
        if (next == lines.size()) return s;
        ++next;
    }
    return std::nullopt;
}

}  // namespace domain_events::testing
