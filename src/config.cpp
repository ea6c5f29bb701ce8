#include "domain_events/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

constexpr std::string_view property_prefix = "KAFKA_PROPERTY_";

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// Collects every problem so one error names them all.
class problems {
public:
    void add(std::string problem) { list_.push_back(std::move(problem)); }
    void throw_if_any(std::string_view what) const {
        if (list_.empty()) return;
        std::string message(what);
        for (const auto& p : list_) message += "\n  " + p;
        throw config_error(message);
    }

private:
    std::vector<std::string> list_;
};

std::optional<long long> parse_integer(std::string_view text) {
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<bool> parse_bool(std::string_view text) {
    const auto v = lower(text);
    if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "0" || v == "no" || v == "off") return false;
    return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        auto item = text.substr(start, comma - start);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        start = comma + 1;
    }
    return items;
}

// Reads the variables of `env` into `c`, noting each one that does not parse.
class reader {
public:
    reader(const environment& env, problems& found) : env_(env), found_(found) {}

    template <class Parse>
    void read(std::string_view name, Parse&& parse) {
        const auto entry = env_.find(name);
        if (entry == env_.end()) return;
        if (const auto why = parse(entry->second); !why.empty()) {
            found_.add(std::string(name) + "='" + entry->second + "': " + why);
        }
    }

    template <class Field>
    void integer(std::string_view name, Field& field) {
        read(name, [&](const std::string& text) -> std::string {
            const auto value = parse_integer(text);
            if (!value) return "not an integer";
            field = static_cast<Field>(*value);
            if (static_cast<long long>(field) != *value) return "out of range";
            return {};
        });
    }

    template <class Duration>
    void duration(std::string_view name, Duration& field) {
        auto count = field.count();  // unchanged when the variable is absent or bad
        integer(name, count);
        field = Duration{count};
    }

private:
    const environment& env_;
    problems& found_;
};

}  // namespace

environment process_environment() {
    environment env;
    for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string_view::npos) env.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
    return env;
}

config config_from_environment(const environment& env) {
    config c;
    problems found;
    reader r(env, found);
    const auto text = [](std::string& field) {
        return [&field](const std::string& value) { field = value; return std::string(); };
    };
    r.read("KAFKA_BOOTSTRAP_SERVERS", text(c.bootstrap_servers));
    r.read("KAFKA_TOPIC_PREFIX", text(c.topic_prefix));
    r.read("DOMAIN_EVENTS_DB", text(c.database_path));
    r.read("DOMAIN_EVENTS_SOURCE", text(c.source));
    r.read("KAFKA_ENABLED", [&](const std::string& value) -> std::string {
        const auto parsed = parse_bool(value);
        if (!parsed) return "expected true or false";
        c.kafka_enabled = *parsed;
        return {};
    });
    r.read("KAFKA_TOPIC_ROUTING", [&](const std::string& value) -> std::string {
        const auto parsed = parse_topic_routing(value);
        if (!parsed) return "expected per_event_type or per_aggregate";
        c.routing = *parsed;
        return {};
    });
    r.read("DOMAIN_EVENTS_SENSITIVE_FIELDS", [&](const std::string& value) {
        c.validation.sensitive_fields = split_list(value);
        return std::string();
    });
    r.read("DOMAIN_EVENTS_SENSITIVE_POLICY", [&](const std::string& value) -> std::string {
        const auto v = lower(value);
        if (v == "refuse") c.validation.on_sensitive = sensitive_field_policy::refuse;
        else if (v == "redact") c.validation.on_sensitive = sensitive_field_policy::redact;
        else return "expected refuse or redact";
        return {};
    });
    r.integer("DOMAIN_EVENTS_MAX_PAYLOAD_BYTES", c.validation.max_payload_bytes);
    r.integer("DOMAIN_EVENTS_RELAY_BATCH_SIZE", c.relay_batch_size);
    r.integer("DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS", c.relay_max_attempts);
    r.duration("DOMAIN_EVENTS_RELAY_POLL_INTERVAL_MS", c.relay_poll_interval);
    r.duration("DOMAIN_EVENTS_LEASE_PERIOD_MS", c.lease_period);
    r.duration("DOMAIN_EVENTS_RETENTION_SECONDS", c.published_retention);
    for (auto it = env.lower_bound(property_prefix); it != env.end() && it->first.starts_with(property_prefix); ++it) {
        auto name = lower(std::string_view(it->first).substr(property_prefix.size()));
        std::replace(name.begin(), name.end(), '_', '.');
        if (name.empty()) found.add(it->first + "='" + it->second + "': names no librdkafka property");
        else c.kafka_properties[name] = it->second;
    }
    found.throw_if_any("invalid configuration in the environment:");
    validate(c);
    return c;
}

void validate(const config& c) {
    problems found;
    const auto check = [&](bool ok, std::string problem) {
        if (!ok) found.add(std::move(problem));
    };
    if (!c.topic_prefix.empty()) {
        try {
            validate_topic_name(c.topic_prefix, "topic_prefix");
        } catch (const validation_error& e) {
            found.add(e.what());
        }
    }
    check(c.topic_prefix.size() <= 200, "topic_prefix: '" + c.topic_prefix + "' leaves no room for event types");
    check(!c.database_path.empty(), "database_path: must not be empty");
    check(!c.source.empty(), "source: must not be empty");
    check(c.validation.max_payload_bytes >= 1024, "validation.max_payload_bytes: " +
                                                      std::to_string(c.validation.max_payload_bytes) +
                                                      " must be >= 1024");
    check(c.relay_batch_size >= 1 && c.relay_batch_size <= 100000,
          "relay_batch_size: " + std::to_string(c.relay_batch_size) + " must be within 1..100000");
    check(c.relay_max_attempts >= 1, "relay_max_attempts: " + std::to_string(c.relay_max_attempts) + " must be >= 1");
    check(c.relay_poll_interval.count() >= 1 && c.relay_poll_interval.count() <= 10000,
          "relay_poll_interval: " + std::to_string(c.relay_poll_interval.count()) + " ms must be within 1..10000");
    check(c.lease_period.count() >= 500,
          "lease_period: " + std::to_string(c.lease_period.count()) + " ms must be >= 500");
    check(c.published_retention.count() >= 0,
          "published_retention: " + std::to_string(c.published_retention.count()) + " s must be >= 0");
    for (const auto& [name, value] : c.kafka_properties) {
        check(!name.empty(), "kafka_properties: a property has an empty name (value '" + value + "')");
    }
    for (const auto& name : c.validation.sensitive_fields) {
        check(!name.empty(), "validation.sensitive_fields: contains an empty name");
    }
    found.throw_if_any("invalid configuration:");
}

}  // namespace domain_events
