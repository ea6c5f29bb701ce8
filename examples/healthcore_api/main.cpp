// The example REST API over the clinic domain (docs/domain.md has every endpoint with curl):
//
//   healthcore_api [--port 8000] [--db healthcore_api.db]
//
// Listens on 127.0.0.1 only. Runs the relay in-process; with no KAFKA_BOOTSTRAP_SERVERS it
// publishes to an embedded mock Kafka cluster and says so. SIGINT/SIGTERM stop it gracefully.

#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/logger.h>

#include <domain_events/config.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/error.hpp>
#include <domain_events/logging.hpp>
#include <domain_events/ops/shutdown_signals.hpp>
#include <healthcore/clinic.hpp>

#include "api_server.hpp"

namespace de = domain_events;

int main(int argc, char** argv) {
    CLI::App app{"healthcore_api: the clinic's REST API, publishing its events through the outbox"};
    int port = 8000;
    std::string db_path = "healthcore_api.db";
    app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)")->check(CLI::Range(0, 65535));
    app.add_option("--db", db_path, "SQLite file for the clinic tables and the outbox");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11 exits 0 for --help and 106 (or similar) for errors; bad flags are status 2 here.
        return app.exit(e) == 0 ? 0 : 2;
    }

    de::shutdown_signals signals;  // before any thread starts: they all inherit the blocked mask

    try {
        auto settings = de::config_from_environment(de::process_environment());
        settings.database_path = db_path;
        if (settings.source == de::config{}.source) settings.source = "healthcore-api";
        healthcore::configure(settings);  // healthcore.* topics unless KAFKA_TOPIC_PREFIX says otherwise
        const auto embedded = de::embedded_cluster_unless_configured(settings);
        const auto log = de::library_logger();  // LOG_LEVEL, LOG_FORMAT; to stderr
        if (embedded) {
            log->info("no KAFKA_BOOTSTRAP_SERVERS: publishing to an embedded mock Kafka cluster at {} "
                      "(in memory, gone when the server stops)",
                      settings.bootstrap_servers);
        }
        healthcore::api::server server(settings);
        const int bound = server.start("127.0.0.1", port);
        log->info("healthcore_api: listening on http://127.0.0.1:{} (database {}, topics {}.*)", bound, db_path,
                  *settings.topic_prefix);
        log->flush();

        const int received = signals.wait();
        log->info("healthcore_api: signal {}, stopping", received);
        server.stop();
    } catch (const de::error& e) {
        std::fprintf(stderr, "healthcore_api: %s\n", e.what());
        return 1;
    }
    return 0;
}
