// `domain-events purge --published-older-than 7d`: deletes published rows now rather than
// waiting for the relay's retention (DOMAIN_EVENTS_RETENTION_SECONDS). Pending rows and dead
// letters are never touched.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "domain_events/storage/outbox.hpp"
#include "cli/settings_options.hpp"

namespace domain_events::cli {
namespace {

struct purge_arguments {
    std::string database_path;
    std::string older_than;
    bool json = false;
};

// Small statements, so the application's writers never wait long for the lock.
constexpr std::size_t purge_batch = 10'000;

int purge(const purge_arguments& args) {
    const auto age = parse_duration(args.older_than, "--published-older-than");
    const auto db = open_existing_database(args.database_path, false);
    outbox box(*db);
    const auto cutoff = now_ms() - age;
    // Each full batch deletes rows that existed when we started, so the loop ends after at most
    // published/batch + 1 rounds; new rows are published after `cutoff` and never qualify.
    const auto rounds = static_cast<std::size_t>(box.counts(now_ms()).published) / purge_batch + 1;
    std::size_t deleted = 0;
    for (std::size_t round = 0; round < rounds; ++round) {
        const auto n = box.delete_published_before(cutoff, purge_batch);
        deleted += n;
        if (n < purge_batch) break;
    }
    if (args.json) {
        std::cout << nlohmann::json{{"deleted", deleted}, {"published_before", format_timestamp(cutoff)}}.dump() << '\n';
    } else {
        std::cout << "deleted " << deleted << " published events published before " << format_timestamp(cutoff) << '\n';
    }
    return 0;
}

}  // namespace

command add_purge_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<purge_arguments>();
    args->database_path = config_from_environment(env).database_path;
    auto* sub = parent.add_subcommand("purge", "Delete published events older than a duration (pending ones stay)");
    add_database_option(*sub, args->database_path);
    sub->add_option("--published-older-than", args->older_than, "e.g. 30s, 15m, 12h, 7d")->required();
    add_json_flag(*sub, args->json);
    return {sub, [args] { return purge(*args); }};
}

}  // namespace domain_events::cli
