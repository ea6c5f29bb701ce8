#pragma once
// Options and helpers several subcommands share, with the environment's settings as defaults.
#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "domain_events/config.hpp"
#include "domain_events/storage/database.hpp"

namespace domain_events::cli {

/** @brief `--db PATH`, defaulting to DOMAIN_EVENTS_DB (or the library default). */
void add_database_option(CLI::App& app, std::string& path);

/** @brief `--bootstrap-servers`, writing into `settings`. */
void add_bootstrap_option(CLI::App& app, config& settings);

/** @brief `--bootstrap-servers`, `--topic-prefix`, `--routing`, writing into `settings`. */
void add_kafka_options(CLI::App& app, config& settings);

/**
 * @brief Fills an unset `settings.topic_prefix` from the outbox at `settings.database_path`,
 *        where a relay recorded it when it first published (so `tail` needs no flag).
 * @throws usage_error when it is unset and the outbox has none recorded (or does not exist).
 */
void resolve_topic_prefix(config& settings);

/** @brief `--json`: one JSON document on stdout instead of text, for scripts. */
void add_json_flag(CLI::App& app, bool& json);

/** @brief Refuses a database file that does not exist: an operator's typo must not create one. @throws usage_error. */
void require_existing_database(const std::string& path);

/** @brief Opens an existing outbox file; `read_only` for commands that only look. @throws usage_error, storage_error. */
[[nodiscard]] std::unique_ptr<database> open_existing_database(const std::string& path, bool read_only);

/**
 * @brief Reads `30s`, `15m`, `12h`, `7d` (a whole number and a unit).
 * @throws usage_error naming `option` and `text`.
 */
[[nodiscard]] std::chrono::seconds parse_duration(std::string_view text, std::string_view option);

}  // namespace domain_events::cli
