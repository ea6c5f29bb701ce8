#pragma once
// Options several subcommands share, with the environment's settings as their defaults.
#include <CLI/CLI.hpp>

#include <string>

#include "domain_events/config.hpp"

namespace domain_events::cli {

/** @brief `--db PATH`, defaulting to DOMAIN_EVENTS_DB (or the library default). */
void add_database_option(CLI::App& app, std::string& path);

/** @brief `--bootstrap-servers`, `--topic-prefix`, `--routing`, writing into `settings`. */
void add_kafka_options(CLI::App& app, config& settings);

/** @brief Refuses a database file that does not exist: an operator's typo must not create one. @throws usage_error. */
void require_existing_database(const std::string& path);

}  // namespace domain_events::cli
