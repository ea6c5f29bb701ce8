// `domain-events gateway`: the HTTP event gateway as a process. SIGTERM or SIGINT stops it
// gracefully (docs/gateway.md, "Operations"): requests in progress finish, the relay flushes.
#include "gateway_command.hpp"

#include <signal.h>

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include <domain_events/ops/shutdown_signals.hpp>

#include "cli/settings_options.hpp"
#include "gateway_server.hpp"

namespace domain_events::cli {
namespace {

struct gateway_arguments {
    config settings;
    std::string config_file;
    std::string listen = "127.0.0.1:8080";
};

int run_gateway(gateway_arguments& args) {
    const auto address = parse_listen_address(args.listen, "--listen");
    auto settings_file = gateway::load_gateway_settings(args.config_file, args.settings.validation);
    // Before any thread starts (the relay's, librdkafka's, the HTTP server's): they inherit the mask.
    shutdown_signals signals;
    gateway::gateway_server server(args.settings, std::move(settings_file));
    const int port = server.start(address);
    spdlog::info("gateway: listening on http://{}:{} (database {}, topics {}.*); SIGTERM or SIGINT stops it",
                 address.host, port, args.settings.database_path, args.settings.topic_prefix.value_or(""));
    spdlog::default_logger()->flush();
    const int received = signals.wait();
    spdlog::info("gateway: received {}; stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
    server.stop();
    return 0;
}

}  // namespace

command add_gateway_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<gateway_arguments>();
    args->settings = config_from_environment(env);
    auto* sub = parent.add_subcommand("gateway", "Accept events over HTTP into the outbox and publish them, until SIGTERM/SIGINT");
    sub->add_option("--config", args->config_file, "the gateway's JSON configuration file (event types, limits)")->required();
    sub->add_option("--listen", args->listen, "HOST:PORT to serve on (PORT 0: any free port)")->capture_default_str();
    add_database_option(*sub, args->settings.database_path);
    add_kafka_options(*sub, args->settings);
    return {sub, [args] { return run_gateway(*args); }};
}

}  // namespace domain_events::cli
