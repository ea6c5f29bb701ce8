// `domain-events validate FILE|-`: a dry run of the envelope rules (validation.hpp) on event
// JSON, reporting every problem of every event; nothing is written anywhere. The input is one
// envelope, a JSON array of envelopes, or one envelope per line (what `tail` prints).
#include <array>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "domain_events/error.hpp"
#include "domain_events/publish/validation.hpp"
#include "cli/settings_options.hpp"

namespace domain_events::cli {
namespace {

struct validate_arguments {
    validation_rules rules;
    std::string file;
    bool json = false;
};

// A dry run reads no more than this: a file over it is refused before it is read whole.
constexpr std::size_t max_input_bytes = 64 * 1024 * 1024;

std::string read_input(const std::string& file) {
    std::ifstream opened;
    if (file != "-") {
        opened.open(file, std::ios::binary);
        if (!opened) throw usage_error("FILE '" + file + "': cannot open it");
    }
    std::istream& in = file == "-" ? std::cin : opened;
    std::string text;
    std::array<char, 64 * 1024> chunk{};
    while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
        text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_input_bytes) {
            throw usage_error("FILE '" + file + "': over " + std::to_string(max_input_bytes) + " bytes; validate fewer events at a time");
        }
    }
    return text;
}

// The whole text as one JSON value (an envelope or an array of them), or discarded.
nlohmann::json parse_whole(const std::string& text, const validation_rules& rules) {
    try {
        return parse_bounded_json(text, {text.size(), rules.max_depth + 1}, "input");
    } catch (const validation_error&) {
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
}

// One entry per event: its problems (empty when valid).
std::vector<std::vector<validation_error>> check_all(const std::string& text, const validation_rules& rules) {
    const auto whole = parse_whole(text, rules);
    std::vector<std::vector<validation_error>> results;
    if (!whole.is_discarded()) {
        if (!whole.is_array()) return {parsed_envelope_problems(whole, rules)};
        for (const auto& element : whole) results.push_back(parsed_envelope_problems(element, rules));
        return results;
    }
    // JSON lines when the first line is a document of its own; otherwise report why the whole
    // text (e.g. one indented envelope with a typo) is not JSON.
    std::istringstream lines(text);
    std::string line;
    bool first = true;
    while (std::getline(lines, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (first && !nlohmann::json::accept(line)) return {envelope_problems(text, rules)};  // builds nothing
        first = false;
        results.push_back(envelope_problems(line, rules));
    }
    if (results.empty()) return {envelope_problems(text, rules)};
    return results;
}

int validate(const validate_arguments& args) {
    const auto results = check_all(read_input(args.file), args.rules);
    std::size_t invalid = 0;
    nlohmann::json events = nlohmann::json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& p : results[i]) problems.push_back({{"field", p.field()}, {"message", p.what()}});
        if (!results[i].empty()) ++invalid;
        if (!args.json) {
            if (results[i].empty()) std::cout << "event " << i + 1 << ": valid\n";
            for (const auto& p : results[i]) std::cout << "event " << i + 1 << ": " << p.what() << '\n';
        }
        events.push_back({{"index", i + 1}, {"valid", results[i].empty()}, {"problems", std::move(problems)}});
    }
    if (args.json) std::cout << nlohmann::json{{"valid", invalid == 0}, {"events", std::move(events)}}.dump() << '\n';
    else std::cout << results.size() << " event(s), " << invalid << " with problems; nothing was written\n";
    return invalid == 0 ? 0 : 1;
}

}  // namespace

command add_validate_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<validate_arguments>();
    args->rules = config_from_environment(env).validation;  // DOMAIN_EVENTS_MAX_PAYLOAD_BYTES, ...
    auto* sub = parent.add_subcommand("validate", "Check event JSON against the envelope rules; writes nothing");
    sub->add_option("FILE", args->file, "a file of event JSON, or - for stdin")->required();
    add_json_flag(*sub, args->json);
    return {sub, [args] { return validate(*args); }};
}

}  // namespace domain_events::cli
