// `domain-events status`: the outbox at a glance, for people (text) and scripts (--json).
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "domain_events/storage/database.hpp"
#include "domain_events/event.hpp"
#include "domain_events/storage/outbox.hpp"
#include "domain_events/relay/relay_lease.hpp"
#include "cli/settings_options.hpp"

namespace domain_events::cli {
namespace {

struct status_arguments {
    std::string database_path;
    bool json = false;
};

double seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

nlohmann::json status_of(const std::string& path) {
    const auto opened = open_existing_database(path, true);
    auto& db = *opened;
    const auto now = now_ms();
    const auto counts = outbox(db).counts(now);
    nlohmann::json status = {
        {"database", path},
        {"pending", counts.pending},
        {"published", counts.published},
        {"dead", counts.dead},
        {"oldest_pending_age_seconds", nullptr},
        {"lease", nullptr},
    };
    if (counts.oldest_pending_age) status["oldest_pending_age_seconds"] = seconds(*counts.oldest_pending_age);
    if (const auto lease = read_lease(db); lease) {
        status["lease"] = {{"owner", lease->owner},
                           {"expires_at", format_timestamp(lease->expires_at)},
                           {"expired", lease->expires_at <= now},
                           {"expires_in_seconds", seconds(lease->expires_at - now)}};
    }
    return status;
}

void print_text(const nlohmann::json& s) {
    const auto row = [](const char* name) -> std::ostream& { return std::cout << std::left << std::setw(16) << name; };
    row("outbox") << s["database"].get<std::string>() << '\n';
    row("pending") << s["pending"] << '\n';
    row("published") << s["published"] << " (retained)\n";
    row("dead letters") << s["dead"] << '\n';
    row("oldest pending");
    if (s["oldest_pending_age_seconds"].is_null()) std::cout << "-\n";
    else std::cout << std::fixed << std::setprecision(1) << s["oldest_pending_age_seconds"].get<double>() << " s\n";
    row("lease");
    const auto& lease = s["lease"];
    if (lease.is_null()) std::cout << "free\n";
    else if (lease["expired"].get<bool>()) std::cout << lease["owner"].get<std::string>() << " (expired)\n";
    else std::cout << lease["owner"].get<std::string>() << " (expires " << lease["expires_at"].get<std::string>() << ")\n";
}

}  // namespace

command add_status_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<status_arguments>();
    args->database_path = config_from_environment(env).database_path;
    auto* sub = parent.add_subcommand("status", "Pending, published and dead events, oldest pending age, lease");
    add_database_option(*sub, args->database_path);
    sub->add_flag("--json", args->json, "one JSON object (keys: pending, published, dead, oldest_pending_age_seconds, lease)");
    return {sub, [args] {
                const auto s = status_of(args->database_path);
                if (args->json) std::cout << s.dump() << '\n';
                else print_text(s);
                return 0;
            }};
}

}  // namespace domain_events::cli
