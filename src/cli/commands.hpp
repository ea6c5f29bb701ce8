#pragma once
// The subcommands of `domain-events`. Each registers its options on the app and returns what
// runs once the command line parsed. Exit codes: 0 ok, 1 failure, 2 bad usage.
#include <CLI/CLI.hpp>

#include <functional>

#include "domain_events/config.hpp"

namespace domain_events::cli {

struct command {
    CLI::App* app = nullptr;    ///< the subcommand; true after parsing when it was chosen
    std::function<int()> run;   ///< what it does
};

command add_relay_command(CLI::App& parent, const environment& env);
command add_status_command(CLI::App& parent, const environment& env);
command add_dead_letters_command(CLI::App& parent, const environment& env);
command add_purge_command(CLI::App& parent, const environment& env);
command add_topics_command(CLI::App& parent, const environment& env);
command add_tail_command(CLI::App& parent, const environment& env);
command add_validate_command(CLI::App& parent, const environment& env);

}  // namespace domain_events::cli
