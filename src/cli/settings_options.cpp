#include "settings_options.hpp"

#include <filesystem>

#include "domain_events/error.hpp"
#include "domain_events/topic_routing.hpp"

namespace domain_events::cli {

void add_database_option(CLI::App& app, std::string& path) {
    app.add_option("--db", path, "SQLite file holding the outbox (env DOMAIN_EVENTS_DB)")->capture_default_str();
}

void add_kafka_options(CLI::App& app, config& settings) {
    app.add_option("--bootstrap-servers", settings.bootstrap_servers, "Kafka brokers (env KAFKA_BOOTSTRAP_SERVERS)")
        ->capture_default_str();
    app.add_option("--topic-prefix", settings.topic_prefix, "topic prefix (env KAFKA_TOPIC_PREFIX)")
        ->capture_default_str();
    app.add_option_function<std::string>(
           "--routing",
           [&settings](const std::string& text) { settings.routing = *parse_topic_routing(text); },
           "per_event_type or per_aggregate (env KAFKA_TOPIC_ROUTING)")
        ->check(CLI::IsMember({"per_event_type", "per_aggregate"}))
        ->default_str(std::string(to_string(settings.routing)));
}

void require_existing_database(const std::string& path) {
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(path, ignored)) {
        throw usage_error("--db '" + path + "': no such database file");
    }
}

}  // namespace domain_events::cli
