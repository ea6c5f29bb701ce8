// `domain-events`: run the relay as a process and look into an outbox. `--help` on any
// subcommand lists its options; docs/operations.md describes them.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <iostream>

#include "cli/commands.hpp"
#include "domain_events/domain_events.hpp"
#include "gateway_command.hpp"

int main(int argc, char** argv) {
    namespace de = domain_events;
    CLI::App app{"Operate a domain_events outbox: relay it to Kafka, inspect and repair it, administer topics.",
                 "domain-events"};
    app.set_version_flag("--version", DOMAIN_EVENTS_VERSION);
    app.require_subcommand(1);
    int status = 0;
    try {
        const auto env = de::process_environment();
        de::configure_default_logger(env, "domain-events");  // LOG_LEVEL, LOG_FORMAT; to stderr
        const std::array commands = {
            de::cli::add_relay_command(app, env),   de::cli::add_status_command(app, env),
            de::cli::add_dead_letters_command(app, env), de::cli::add_purge_command(app, env),
            de::cli::add_topics_command(app, env),  de::cli::add_tail_command(app, env),
            de::cli::add_validate_command(app, env), de::cli::add_gateway_command(app, env)};
        try {
            app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
            // Help and version exit 0; every other parse problem is a usage error.
            return app.exit(e) == 0 ? 0 : 2;
        }
        for (const auto& c : commands) {
            if (c.app->parsed()) status = c.run();
        }
    } catch (const de::config_error& e) {
        std::cerr << "domain-events: " << e.what() << '\n';
        return 2;
    } catch (const de::usage_error& e) {
        std::cerr << "domain-events: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "domain-events: error: " << e.what() << '\n';
        return 1;
    }
    return status;
}
