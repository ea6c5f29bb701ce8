#pragma once
// `domain-events gateway`: registers the subcommand (src/cli/main.cpp wires it in).
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace domain_events::cli {

/** @brief `gateway --config FILE [--listen HOST:PORT] [--db PATH] [Kafka options]`. */
command add_gateway_command(CLI::App& parent, const environment& env);

}  // namespace domain_events::cli
