#include "cli/settings_options.hpp"

#include <charconv>
#include <filesystem>
#include <limits>

#include "storage/outbox_schema.hpp"
#include "domain_events/error.hpp"
#include "domain_events/storage/outbox.hpp"
#include "domain_events/publish/topic_routing.hpp"

namespace domain_events::cli {

void add_database_option(CLI::App& app, std::string& path) {
    app.add_option("--db", path, "SQLite file holding the outbox (env DOMAIN_EVENTS_DB)")->capture_default_str();
}

void add_bootstrap_option(CLI::App& app, config& settings) {
    app.add_option("--bootstrap-servers", settings.bootstrap_servers, "Kafka brokers (env KAFKA_BOOTSTRAP_SERVERS)")
        ->capture_default_str();
}

void add_kafka_options(CLI::App& app, config& settings) {
    add_bootstrap_option(app, settings);
    app.add_option_function<std::string>(
           "--topic-prefix", [&settings](const std::string& text) { settings.topic_prefix = text; },
           "topic prefix (env KAFKA_TOPIC_PREFIX; default: the one the outbox's relay recorded)")
        ->default_str(settings.topic_prefix.value_or(""));
    app.add_option_function<std::string>(
           "--routing",
           [&settings](const std::string& text) { settings.routing = *parse_topic_routing(text); },
           "per_event_type or per_aggregate (env KAFKA_TOPIC_ROUTING)")
        ->check(CLI::IsMember({"per_event_type", "per_aggregate"}))
        ->default_str(std::string(to_string(settings.routing)));
}

void resolve_topic_prefix(config& settings) {
    if (settings.topic_prefix) return;
    const auto& path = settings.database_path;
    std::error_code ignored;
    if (std::filesystem::is_regular_file(path, ignored)) {
        const auto db = open_existing_database(path, true);
        if (auto recorded = outbox(*db).recorded_topic_prefix()) {
            settings.topic_prefix = std::move(recorded);
            return;
        }
    }
    throw usage_error("--topic-prefix: not given (nor KAFKA_TOPIC_PREFIX), and the outbox '" + path +
                      "' records none (a relay records its prefix when it first publishes); pass --topic-prefix, "
                      "or --db naming the outbox");
}

void add_json_flag(CLI::App& app, bool& json) { app.add_flag("--json", json, "print one JSON document, for scripts"); }

void require_existing_database(const std::string& path) {
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(path, ignored)) {
        throw usage_error("--db '" + path + "': no such database file");
    }
}

std::unique_ptr<database> open_existing_database(const std::string& path, bool read_only) {
    require_existing_database(path);
    detail::require_outbox_database(path);  // read-only: a foreign file is left as it was
    return std::make_unique<database>(database_options{.path = path, .read_only = read_only});
}

std::chrono::seconds parse_duration(std::string_view text, std::string_view option) {
    const auto refuse = [&] {
        return usage_error(std::string(option) + " '" + std::string(text) +
                           "': expected a whole number and a unit s, m, h or d, e.g. 30s, 15m, 7d");
    };
    if (text.size() < 2) throw refuse();
    std::int64_t amount = 0;
    const auto digits = text.substr(0, text.size() - 1);
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), amount);
    if (err != std::errc{} || end != digits.data() + digits.size() || amount < 0) throw refuse();
    std::int64_t unit = 0;
    switch (text.back()) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: throw refuse();
    }
    if (amount > std::numeric_limits<std::int64_t>::max() / unit / 1000) throw refuse();  // fits in ms
    return std::chrono::seconds{amount * unit};
}

}  // namespace domain_events::cli
