// `domain-events topics ensure --config topics.json`: creates the topics a file lists, with
// their partitions, replication factor and retention, or compares those that exist. A topic
// that differs is left as it is (changing partitions moves keys; shortening retention deletes
// data) and makes the command exit 1, so a deploy script notices. File format: docs/operations.md.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "domain_events/bounded_json.hpp"
#include "domain_events/error.hpp"
#include "domain_events/kafka/topic_admin.hpp"
#include "cli/settings_options.hpp"

namespace domain_events::cli {
namespace {

struct topics_arguments {
    config settings;
    std::string config_path;
    double timeout_seconds = 10;
    bool json = false;
};

// Errors name the file and the member at fault, e.g. `topics[2].partitions`.
class topics_file {
public:
    explicit topics_file(std::string path) : path_(std::move(path)) {}

    std::vector<topic_spec> read(const topic_settings& defaults) const {
        std::ifstream in(path_);
        if (!in) throw usage_error("--config '" + path_ + "': cannot open it");
        std::stringstream text;
        text << in.rdbuf();
        // A file of topic settings: 1 MiB and the default depth are far more than one needs.
        const auto parsed = try_parse_bounded_json(text.str(), {});
        if (!parsed) throw refuse("", "is not valid JSON of at most 1 MiB, nested at most 64 levels");
        const auto& doc = *parsed;
        if (!doc.is_object()) throw refuse("", "expected a JSON object with \"topics\"");
        check_members(doc, "", {"defaults", "topics"});
        auto base = defaults;
        if (doc.contains("defaults")) base = settings(doc["defaults"], "defaults", base);
        if (!doc.contains("topics") || !doc["topics"].is_array() || doc["topics"].empty()) {
            throw refuse("topics", "expected a non-empty array of {\"name\": ...}");
        }
        std::vector<topic_spec> specs;
        for (std::size_t i = 0; i < doc["topics"].size(); ++i) {
            const auto& t = doc["topics"][i];
            const auto where = "topics[" + std::to_string(i) + "]";
            if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
                throw refuse(where, "expected an object with a string \"name\"");
            }
            specs.push_back({t["name"].get<std::string>(), settings(t, where, base)});
        }
        return specs;
    }

private:
    usage_error refuse(const std::string& field, const std::string& why) const {
        return usage_error("--config '" + path_ + "': " + (field.empty() ? "" : field + ": ") + why);
    }

    void check_members(const nlohmann::json& object, const std::string& where,
                       std::initializer_list<std::string_view> known) const {
        for (const auto& [key, value] : object.items()) {
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                throw refuse(where.empty() ? key : where + "." + key, "unknown member (a typo?)");
            }
        }
    }

    topic_settings settings(const nlohmann::json& object, const std::string& where, topic_settings s) const {
        if (!object.is_object()) throw refuse(where, "expected an object");
        check_members(object, where,
                      where == "defaults" ? std::initializer_list<std::string_view>{"partitions", "replication_factor", "retention_ms"}
                                          : std::initializer_list<std::string_view>{"name", "partitions", "replication_factor", "retention_ms"});
        const auto number = [&](const char* key, auto& target) {
            if (!object.contains(key)) return;
            const auto& v = object[key];
            if (!v.is_number_integer()) throw refuse(where + "." + key, "expected an integer, got " + v.dump());
            target = v.get<std::remove_reference_t<decltype(target)>>();
        };
        number("partitions", s.partitions);
        number("replication_factor", s.replication_factor);
        number("retention_ms", s.retention_ms);
        return s;
    }

    std::string path_;
};

int ensure(const topics_arguments& args) {
    const auto specs = topics_file(args.config_path).read(args.settings.topics);
    topic_admin admin(args.settings, std::chrono::milliseconds{static_cast<long>(args.timeout_seconds * 1000)});
    std::vector<topic_report> reports;
    try {
        reports = admin.ensure(specs);
    } catch (const validation_error& e) {
        throw usage_error("--config '" + args.config_path + "': " + e.what());  // checked before any request
    }
    bool differs = false;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : reports) {
        differs = differs || r == topic_outcome::differs;
        out.push_back({{"topic", r.topic}, {"outcome", to_string(r.outcome)}, {"detail", r.detail}});
        if (!args.json) {
            std::cout << std::left << std::setw(12) << to_string(r.outcome) << r.topic;
            if (!r.detail.empty()) std::cout << " (" << r.detail << ')';
            std::cout << '\n';
        }
    }
    if (args.json) std::cout << nlohmann::json{{"topics", out}}.dump() << '\n';
    else if (differs) std::cout << "some topics differ from the file; they were left as they are\n";
    return differs ? 1 : 0;
}

}  // namespace

command add_topics_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<topics_arguments>();
    args->settings = config_from_environment(env);
    auto* sub = parent.add_subcommand("topics", "Kafka topic administration");
    sub->require_subcommand(1);
    auto* ensure_cmd = sub->add_subcommand("ensure", "Create the topics a file lists, or report how existing ones differ");
    ensure_cmd->add_option("--config", args->config_path, "JSON file: {\"defaults\": {...}, \"topics\": [{\"name\": ...}]}")
        ->required();
    add_bootstrap_option(*ensure_cmd, args->settings);
    ensure_cmd->add_option("--timeout", args->timeout_seconds, "seconds each request to the cluster may take")
        ->check(CLI::Range(0.001, 300.0))
        ->capture_default_str();
    add_json_flag(*ensure_cmd, args->json);
    return {sub, [args] { return ensure(*args); }};
}

}  // namespace domain_events::cli
