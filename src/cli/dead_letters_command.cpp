// `domain-events dead-letters list|show ID|replay ID|replay --all|discard ID`: the events the
// broker refused for good. A replay puts the event back at the end of the pending queue with
// its original event_id; a running relay publishes it again.
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/dead_letter_json.hpp"
#include "cli/settings_options.hpp"

namespace domain_events::cli {
namespace {

struct dead_letter_arguments {
    std::string database_path;
    bool json = false;
    std::size_t limit = 100;
    std::int64_t after = 0;
    std::int64_t id = 0;
    bool all = false;
};

int no_such_letter(std::int64_t id) {
    std::cerr << "domain-events: no dead letter with id " << id << '\n';
    return 1;
}

int list(const dead_letter_arguments& args) {
    const auto db = open_existing_database(args.database_path, true);
    outbox box(*db);
    const auto page = dead_letter_page(box, args.limit, args.after);
    if (args.json) {
        std::cout << page.dump() << '\n';
        return 0;
    }
    if (page["dead_letters"].empty()) std::cout << "no dead letters\n";
    for (const auto& d : page["dead_letters"]) {
        std::cout << std::left << std::setw(6) << d["id"].get<std::int64_t>() << ' ' << d["event_id"].get<std::string>()
                  << ' ' << std::setw(24) << d["event_type"].get<std::string>() << ' '
                  << d["aggregate_type"].get<std::string>() << '/' << d["aggregate_id"].get<std::string>() << " dead "
                  << d["dead_at"].get<std::string>() << " after " << d["attempts"] << " attempts: "
                  << d["error"].get<std::string>() << '\n';
    }
    if (!page["next_after"].is_null()) std::cout << "(more: --after " << page["next_after"] << ")\n";
    return 0;
}

int show(const dead_letter_arguments& args) {
    const auto db = open_existing_database(args.database_path, true);
    const auto letter = outbox(*db).find_dead_letter(args.id);
    if (!letter) return no_such_letter(args.id);
    std::cout << to_json(*letter, true).dump(args.json ? -1 : 2) << '\n';
    return 0;
}

int replay(const dead_letter_arguments& args) {
    if (args.all == (args.id != 0)) throw usage_error("dead-letters replay: give either an ID or --all");
    const auto db = open_existing_database(args.database_path, false);
    outbox box(*db);
    if (args.all) {
        const auto replayed = box.replay_all_dead_letters(now_ms());
        if (args.json) std::cout << nlohmann::json{{"replayed", replayed}}.dump() << '\n';
        else std::cout << "replayed " << replayed << " dead letters; they are pending again\n";
        return 0;
    }
    const auto letter = box.find_dead_letter(args.id);
    if (!letter) return no_such_letter(args.id);
    const auto position = box.replay_dead_letter(args.id, now_ms());
    if (args.json) {
        std::cout << nlohmann::json{{"id", args.id}, {"event_id", letter->event_id}, {"position", position}}.dump() << '\n';
    } else {
        std::cout << "replayed dead letter " << args.id << " (event " << letter->event_id << ", " << letter->event_type
                  << ") as pending position " << position << '\n';
    }
    return 0;
}

int discard(const dead_letter_arguments& args) {
    const auto db = open_existing_database(args.database_path, false);
    if (!outbox(*db).discard_dead_letter(args.id)) return no_such_letter(args.id);
    if (args.json) std::cout << nlohmann::json{{"discarded", args.id}}.dump() << '\n';
    else std::cout << "discarded dead letter " << args.id << '\n';
    return 0;
}

CLI::Option* add_id(CLI::App& sub, dead_letter_arguments& args) {
    return sub.add_option("ID", args.id, "the dead letter's id (see `dead-letters list`)")->check(CLI::PositiveNumber);
}

}  // namespace

command add_dead_letters_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<dead_letter_arguments>();
    args->database_path = config_from_environment(env).database_path;
    auto* sub = parent.add_subcommand("dead-letters", "List, show, replay or discard events the broker refused for good");
    sub->require_subcommand(1);
    // Options on the parent so they may come before or after the action.
    add_database_option(*sub, args->database_path);
    add_json_flag(*sub, args->json);
    sub->fallthrough();

    auto* list_cmd = sub->add_subcommand("list", "Dead letters, oldest first, without their payloads");
    list_cmd->add_option("--limit", args->limit, "at most this many")->check(CLI::Range(1, 100000))->capture_default_str();
    list_cmd->add_option("--after", args->after, "only ids above this one (paging)")->check(CLI::NonNegativeNumber);
    auto* show_cmd = sub->add_subcommand("show", "One dead letter with its envelope");
    add_id(*show_cmd, *args)->required();
    auto* replay_cmd = sub->add_subcommand("replay", "Put a dead letter (or --all) back in the pending queue, keeping its event_id");
    auto* id_option = add_id(*replay_cmd, *args);
    replay_cmd->add_flag("--all", args->all, "replay every dead letter, in the order they died")->excludes(id_option);
    auto* discard_cmd = sub->add_subcommand("discard", "Delete a dead letter for good");
    add_id(*discard_cmd, *args)->required();

    return {sub, [=] {
                if (list_cmd->parsed()) return list(*args);
                if (show_cmd->parsed()) return show(*args);
                if (replay_cmd->parsed()) return replay(*args);
                return discard(*args);
            }};
}

}  // namespace domain_events::cli
