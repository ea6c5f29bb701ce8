#include "gateway_settings.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include <domain_events/bounded_json.hpp>
#include <domain_events/error.hpp>

namespace domain_events::gateway {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_event_types = 10'000;
constexpr std::size_t max_sensitive_fields = 1'000;

// Reads one object of the file, naming `path` (e.g. `event_types.order.placed.topic`) in errors.
class object_reader {
public:
    object_reader(const json& value, std::string path, std::string_view origin) : value_(value), path_(std::move(path)), origin_(origin) {
        if (!value_.is_object()) fail(path_.empty() ? "(top level)" : path_, std::string("expected an object, got ") + value_.type_name());
    }

    [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
        throw config_error(std::string(origin_) + ": " + field + ": " + reason);
    }

    [[nodiscard]] std::string field(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }

    void only(std::initializer_list<std::string_view> known) const {
        for (const auto& [key, ignored] : value_.items()) {
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                // The key is the file's own text, but a configuration file holds no secrets: named, cut short.
                fail(field(key.substr(0, 64)), "is not a known setting");
            }
        }
    }

    [[nodiscard]] const json* find(std::string_view key) const {
        const auto it = value_.find(key);
        return it == value_.end() ? nullptr : &*it;
    }

    template <class Number>
    void number(std::string_view key, Number& out, double low, double high) const {
        const auto* v = find(key);
        if (v == nullptr) return;
        if (!v->is_number()) fail(field(key), std::string("expected a number, got ") + v->type_name());
        const double d = v->get<double>();
        if (!(d >= low && d <= high)) fail(field(key), "must be " + range(low, high));
        if constexpr (std::is_integral_v<Number>) {
            if (!v->is_number_integer()) fail(field(key), "must be a whole number");
            out = static_cast<Number>(std::is_signed_v<Number> ? static_cast<Number>(v->get<std::int64_t>())
                                                               : static_cast<Number>(v->get<std::uint64_t>()));
        } else {
            out = static_cast<Number>(d);
        }
    }

    void boolean(std::string_view key, bool& out) const {
        const auto* v = find(key);
        if (v == nullptr) return;
        if (!v->is_boolean()) fail(field(key), std::string("expected true or false, got ") + v->type_name());
        out = v->get<bool>();
    }

    void text(std::string_view key, std::string& out, std::size_t max_bytes) const {
        const auto* v = find(key);
        if (v == nullptr) return;
        if (!v->is_string()) fail(field(key), std::string("expected a string, got ") + v->type_name());
        out = v->get<std::string>();
        if (out.size() > max_bytes) fail(field(key), "is longer than " + std::to_string(max_bytes) + " bytes");
    }

private:
    static std::string range(double low, double high) {
        std::ostringstream out;
        out.precision(15);
        out << low << ".." << high;
        return out.str();
    }

    const json& value_;
    std::string path_;
    std::string_view origin_;
};

topic_settings read_topic(const object_reader& r) {
    r.only({"partitions", "replication_factor", "retention_ms"});
    topic_settings topic;
    r.number("partitions", topic.partitions, 1, 10'000);
    r.number("replication_factor", topic.replication_factor, -1, 100);
    if (topic.replication_factor == 0) r.fail(r.field("replication_factor"), "must be -1 (the broker's default) or 1..100");
    r.number("retention_ms", topic.retention_ms, -1, static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2));
    return topic;
}

validation_rules read_rules(const object_reader& r, validation_rules rules) {
    r.number("max_payload_bytes", rules.max_payload_bytes, 64, 64.0 * 1024 * 1024);
    r.number("max_depth", rules.max_depth, 2, 1000);
    if (const auto* fields = r.find("sensitive_fields")) {
        const auto at = r.field("sensitive_fields");
        if (!fields->is_array()) r.fail(at, std::string("expected an array of field names, got ") + fields->type_name());
        if (fields->size() > max_sensitive_fields) r.fail(at, "has more than " + std::to_string(max_sensitive_fields) + " names");
        rules.sensitive_fields.clear();
        for (std::size_t i = 0; i < fields->size(); ++i) {
            const auto& name = (*fields)[i];
            const auto item = at + "[" + std::to_string(i) + "]";
            if (!name.is_string() || name.get_ref<const std::string&>().empty() || name.get_ref<const std::string&>().size() > 128) {
                r.fail(item, "expected a field name (1 to 128 bytes of text)");
            }
            rules.sensitive_fields.push_back(name.get<std::string>());
        }
    }
    std::string policy;
    r.text("sensitive_policy", policy, 16);
    if (policy == "refuse") rules.on_sensitive = sensitive_field_policy::refuse;
    else if (policy == "redact") rules.on_sensitive = sensitive_field_policy::redact;
    else if (!policy.empty()) r.fail(r.field("sensitive_policy"), "must be refuse or redact");
    return rules;
}

event_type_settings read_event_type(const json& value, const std::string& path, std::string_view origin,
                                    const validation_rules& defaults) {
    const object_reader r(value, path, origin);
    r.only({"topic", "max_payload_bytes", "max_depth", "sensitive_fields", "sensitive_policy"});
    event_type_settings type;
    type.rules = read_rules(r, defaults);
    if (const auto* topic = r.find("topic")) type.topic = read_topic(object_reader(*topic, r.field("topic"), origin));
    return type;
}

}  // namespace

const validation_rules* gateway_settings::rules_for(std::string_view event_type) const noexcept {
    if (const auto it = event_types.find(event_type); it != event_types.end()) return &it->second.rules;
    return allow_unknown_event_types ? &unknown_type_rules : nullptr;
}

gateway_settings parse_gateway_settings(std::string_view text, const validation_rules& defaults, std::string_view origin) {
    json document;
    try {
        document = parse_bounded_json(text, {max_settings_file_bytes, max_settings_depth}, "file");
    } catch (const validation_error& e) {
        throw config_error(std::string(origin) + ": " + e.what());
    }
    const object_reader top(document, "", origin);
    top.only({"event_types", "allow_unknown_event_types", "max_batch_events", "max_body_bytes", "rate_limit",
              "back_pressure", "shutdown_timeout_ms", "idempotency_retention_hours", "group_commit_max_batch",
              "relay_linger_ms"});
    gateway_settings s;
    s.unknown_type_rules = defaults;
    if (const auto* types = top.find("event_types")) {
        const auto at = top.field("event_types");
        if (!types->is_object()) top.fail(at, std::string("expected an object keyed by event type, got ") + types->type_name());
        if (types->size() > max_event_types) top.fail(at, "has more than " + std::to_string(max_event_types) + " types");
        for (const auto& [type, value] : types->items()) {
            const auto path = at + "." + type.substr(0, 128);
            try {
                validate_event_type(type);
            } catch (const validation_error& e) {
                top.fail(path, e.what());
            }
            s.event_types.emplace(type, read_event_type(value, path, origin, defaults));
        }
    }
    top.boolean("allow_unknown_event_types", s.allow_unknown_event_types);
    if (s.event_types.empty() && !s.allow_unknown_event_types) {
        top.fail("event_types", "no event type is configured and allow_unknown_event_types is false: nothing would be accepted");
    }
    top.number("max_batch_events", s.max_batch_events, 1, 100'000);
    top.number("max_body_bytes", s.max_body_bytes, 1024, 64.0 * 1024 * 1024);
    top.number("group_commit_max_batch", s.group_commit_max_batch, 1, 100'000);
    long long shutdown_ms = s.shutdown_timeout.count();
    top.number("shutdown_timeout_ms", shutdown_ms, 0, 3'600'000);
    s.shutdown_timeout = std::chrono::milliseconds{shutdown_ms};
    long long linger_ms = s.relay_linger.count();
    top.number("relay_linger_ms", linger_ms, 0, 1'000);
    s.relay_linger = std::chrono::milliseconds{linger_ms};
    long long retention_hours = s.idempotency_retention.count();
    top.number("idempotency_retention_hours", retention_hours, 1, 24.0 * 3650);
    s.idempotency_retention = std::chrono::hours{retention_hours};
    if (const auto* limit = top.find("rate_limit")) {
        const object_reader r(*limit, "rate_limit", origin);
        r.only({"requests_per_second", "burst", "client_header", "max_clients"});
        auto& rl = s.rate_limit;
        r.number("requests_per_second", rl.requests_per_second, 0, 1e9);
        rl.burst = rl.requests_per_second;
        r.number("burst", rl.burst, 1, 1e9);
        r.text("client_header", rl.client_header, 128);
        r.number("max_clients", rl.max_clients, 1, 10'000'000);
        rl.burst = std::max(rl.burst, 1.0);
    }
    if (const auto* pressure = top.find("back_pressure")) {
        const object_reader r(*pressure, "back_pressure", origin);
        r.only({"max_backlog_events", "min_free_disk_bytes", "retry_after_seconds", "check_interval_ms"});
        auto& bp = s.back_pressure;
        r.number("max_backlog_events", bp.max_backlog_events, 0, 1e15);
        r.number("min_free_disk_bytes", bp.min_free_disk_bytes, 0, 1e18);
        long long retry = bp.retry_after.count();
        r.number("retry_after_seconds", retry, 1, 3600);
        bp.retry_after = std::chrono::seconds{retry};
        long long interval = bp.check_interval.count();
        r.number("check_interval_ms", interval, 10, 60'000);
        bp.check_interval = std::chrono::milliseconds{interval};
    }
    return s;
}

gateway_settings load_gateway_settings(const std::string& path, const validation_rules& defaults) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw config_error(path + ": cannot be read");
    std::string text(max_settings_file_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_settings_file_bytes) {
        throw config_error(path + ": is larger than " + std::to_string(max_settings_file_bytes) + " bytes");
    }
    return parse_gateway_settings(text, defaults, path);
}

void apply_to_config(const gateway_settings& gateway, config& settings) {
    auto& widest = settings.validation;
    widest.sensitive_fields.clear();  // the gateway checks each type's own before publishing
    const auto widen = [&widest](const validation_rules& rules) {
        widest.max_payload_bytes = std::max(widest.max_payload_bytes, rules.max_payload_bytes);
        widest.max_depth = std::max(widest.max_depth, rules.max_depth);
    };
    widen(gateway.unknown_type_rules);
    for (const auto& [type, settings_of_type] : gateway.event_types) {
        widen(settings_of_type.rules);
        if (!settings_of_type.topic) continue;
        if (settings.routing != topic_routing::per_event_type) {
            throw config_error("event_types." + type + ".topic: topic settings per event type need KAFKA_TOPIC_ROUTING=per_event_type");
        }
        settings.topic_overrides.insert_or_assign(type, *settings_of_type.topic);
    }
}

}  // namespace domain_events::gateway
