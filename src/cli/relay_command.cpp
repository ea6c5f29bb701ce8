// `domain-events relay`: the relay as a process beside the application. SIGTERM or SIGINT stops
// it gracefully: in-flight messages are flushed and recorded, the lease is released.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <optional>

#include "storage/outbox_schema.hpp"
#include "cli/commands.hpp"
#include "domain_events/relay/relay.hpp"
#include "domain_events/ops/shutdown_signals.hpp"
#include "cli/relay_http.hpp"
#include "cli/settings_options.hpp"

namespace domain_events::cli {
namespace {

struct relay_arguments {
    config settings;
    double shutdown_timeout_seconds = 10;
    std::string owner_id;
    std::string http;  // HOST:PORT of the health and metrics endpoint; empty: none
    std::string admin_token;
};

int run_relay(relay_arguments& args) {
    require_existing_database(args.settings.database_path);
    detail::require_outbox_database(args.settings.database_path);  // before anything opens it for writing
    resolve_topic_prefix(args.settings);  // a relay after the first may leave it to the outbox
    const auto address = args.http.empty() ? std::optional<listen_address>{} : parse_listen_address(args.http, "--http");
    // Before any thread starts (the relay's, librdkafka's, the HTTP server's): they inherit the mask.
    shutdown_signals signals;

    relay_options options;
    options.owner_id = args.owner_id;
    relay publisher_relay(args.settings, options);
    // Listening before the relay starts, so a taken port fails the command before it publishes.
    // Declared after the relay, so it stops first: its routes use the relay.
    const auto http = address ? start_relay_http(publisher_relay, args.settings, *address, args.admin_token) : nullptr;
    publisher_relay.start();
    if (!publisher_relay.running()) return 0;  // Kafka disabled: start() said so
    spdlog::info("relay {}: publishing {} to {} (prefix '{}'); SIGTERM or SIGINT stops it", publisher_relay.owner_id(),
                 args.settings.database_path, args.settings.bootstrap_servers, *args.settings.topic_prefix);

    const int received = signals.wait();
    spdlog::info("relay {}: received {}; stopping", publisher_relay.owner_id(), received == SIGTERM ? "SIGTERM" : "SIGINT");
    const auto timeout = std::chrono::milliseconds{static_cast<long>(args.shutdown_timeout_seconds * 1000)};
    if (http) http->stop();
    const bool clean = publisher_relay.stop(timeout);
    const auto counters = publisher_relay.counters();
    spdlog::info("relay {}: stopped; published {}, pending {}{}", publisher_relay.owner_id(), counters.published,
                 counters.pending, clean ? "" : " (some in-flight messages were not acknowledged in time)");
    return 0;
}

}  // namespace

command add_relay_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<relay_arguments>();
    args->settings = config_from_environment(env);
    auto* sub = parent.add_subcommand("relay", "Publish the outbox to Kafka until SIGTERM/SIGINT");
    add_database_option(*sub, args->settings.database_path);
    add_kafka_options(*sub, args->settings);
    sub->add_option("--shutdown-timeout", args->shutdown_timeout_seconds,
                    "seconds to wait for in-flight messages when stopping")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    sub->add_option("--owner-id", args->owner_id, "lease owner name (default host:pid:random)");
    sub->add_option("--http", args->http,
                    "serve /health/live, /health/ready, /health/detailed, /metrics and /dead-letters on HOST:PORT "
                    "(e.g. 127.0.0.1:9464); POST routes need DOMAIN_EVENTS_ADMIN_TOKEN");
    if (const auto token = env.find("DOMAIN_EVENTS_ADMIN_TOKEN"); token != env.end()) args->admin_token = token->second;
    return {sub, [args] { return run_relay(*args); }};
}

}  // namespace domain_events::cli
