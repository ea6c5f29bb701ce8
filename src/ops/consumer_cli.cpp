#include "domain_events/ops/consumer_cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain_events/ops/consumer_http.hpp"
#include "domain_events/error.hpp"
#include "domain_events/event.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/ops/shutdown_signals.hpp"

namespace domain_events {
namespace {

// What the command line says. A new flag is a member here and its option in `add_flags`; one
// that serves something while the consumer runs (like `--http`) is an RAII object made in
// `run_parsed` between the consumer's construction and `run()`, declared after the consumer so
// it stops first.
struct cli_flags {
    std::vector<std::string> events;
    std::string group;
    std::string database;
    std::optional<std::string> bootstrap_servers;
    std::optional<std::string> topic_prefix;
    bool from_beginning = false;
    std::uint64_t max_events = 0;
    double idle_exit_seconds = 0;
    std::optional<std::string> http;  // HOST:PORT or PORT of the health and metrics endpoint
};

void add_flags(CLI::App& app, cli_flags& flags) {
    app.add_option("--events", flags.events, "event types or patterns, comma-separated (patient.*)")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--group", flags.group, "Kafka consumer group; also the key of the idempotency records")
        ->capture_default_str();
    app.add_option("--db", flags.database, "the consumer's SQLite file (its tables and idempotency records)")
        ->capture_default_str();
    app.add_option("--bootstrap-servers", flags.bootstrap_servers, "Kafka brokers (default: KAFKA_BOOTSTRAP_SERVERS)");
    app.add_option("--topic-prefix", flags.topic_prefix, "topic prefix (default: KAFKA_TOPIC_PREFIX, else the program's)");
    app.add_flag("--from-beginning", flags.from_beginning,
                 "a group without committed offsets starts at the oldest event (default: only new events)");
    app.add_option("--max-events", flags.max_events, "stop after this many messages (0: no limit)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--idle-exit", flags.idle_exit_seconds, "stop after SECONDS without a message (0: never)")
        ->check(CLI::Range(0.0, 31'536'000.0));
    app.add_option("--http", flags.http,
                   "serve /health/live, /health/ready, /health/detailed and /metrics on HOST:PORT or PORT "
                   "(host 127.0.0.1; port 0: any free port, logged)");
}

void print_line(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);  // a line per event, visible at once even when stdout is a file or pipe
}

int fail(const consumer_program& program, const std::string& message, int status) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", program.name.c_str(), message.c_str());
    return status;
}

int run_parsed(const consumer_program& program, const cli_flags& flags, shutdown_signals& signals) {
    const auto env = process_environment();
    configure_default_logger(env, program.name);
    auto settings = config_from_environment(env);
    if (flags.bootstrap_servers) settings.bootstrap_servers = *flags.bootstrap_servers;
    if (flags.topic_prefix) settings.topic_prefix = flags.topic_prefix;
    if (!settings.topic_prefix) settings.topic_prefix = program.default_topic_prefix;
    if (settings.bootstrap_servers.empty())
        throw config_error("--bootstrap-servers: no Kafka brokers (give the flag or set KAFKA_BOOTSTRAP_SERVERS)");

    consumer_options options;
    options.group_id = flags.group;
    options.event_types = flags.events;
    options.database_path = flags.database;
    options.from_beginning = flags.from_beginning;
    options.max_events = flags.max_events;
    options.idle_exit = std::chrono::milliseconds(static_cast<std::int64_t>(flags.idle_exit_seconds * 1000.0));
    if (options.group_id.empty()) throw config_error("--group: must not be empty");
    if (options.event_types.empty()) throw config_error("--events: give at least one event type or pattern");
    const auto http_address = flags.http ? std::optional{parse_listen_address(*flags.http, "--http")} : std::nullopt;

    const auto consumer = make_program_consumer(program, settings, options, [](const event& e, std::string_view report) {
        print_line("applied " + e.event_type + " " + e.aggregate_type + "/" + e.aggregate_id + " v" +
                   std::to_string(e.aggregate_version) + " " + e.event_id + ": " + std::string(report));
    });
    // Listening before the consumer runs, so a taken port fails the program before it consumes.
    const auto endpoint = http_address ? std::make_unique<consumer_http_endpoint>(*consumer, *http_address) : nullptr;
    const auto stop_on_signal = signals.on_signal([&consumer] { consumer->stop(); });
    const auto done = consumer->run();
    print_line("summary: applied " + std::to_string(done.applied) + ", duplicates skipped " +
               std::to_string(done.duplicates) + ", dead-lettered " + std::to_string(done.dead_lettered) +
               ", skipped unknown " + std::to_string(done.skipped));
    return 0;
}

}  // namespace

int run_consumer_cli(const consumer_program& program, int argc, const char* const* argv) noexcept {
    try {
        shutdown_signals signals;  // first: every thread started later inherits the blocked signals
        CLI::App app{program.description, program.name};
        cli_flags flags;
        flags.events = program.default_events;
        flags.group = program.default_group;
        flags.database = program.default_database;
        add_flags(app, flags);
        try {
            app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
            return app.exit(e) == 0 ? 0 : 2;  // --help is 0; a bad or unknown flag is 2, named by CLI11
        }
        try {
            return run_parsed(program, flags, signals);
        } catch (const config_error& e) {
            return fail(program, e.what(), 2);
        } catch (const usage_error& e) {
            return fail(program, e.what(), 2);
        }
    } catch (const std::exception& e) {
        return fail(program, std::string("error: ") + e.what(), 1);
    } catch (...) {
        return fail(program, "error: unknown exception", 1);
    }
}

}  // namespace domain_events
