#include "domain_events/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <concepts>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "bootstrap_servers.hpp"
#include "domain_events/error.hpp"

namespace domain_events {
namespace {

constexpr std::string_view property_prefix = "KAFKA_PROPERTY_";
constexpr std::size_t max_prefix_length = 200;  // leaves 49 characters of the topic for the event type
constexpr const char* unset_prefix_reason =
    "is not set and has no default: set KAFKA_TOPIC_PREFIX (or config::topic_prefix), e.g. to your "
    "application's name; an empty value means topics without a prefix";

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

// One bad value: `name` is a config field or an environment variable.
struct problem {
    std::string name;
    std::optional<std::string> value;  // nullopt: the setting is unset
    std::string reason;
};

[[noreturn]] void fail(std::string_view heading, const std::vector<problem>& problems) {
    std::string message(heading);
    for (const auto& p : problems) {
        message += "\n  " + p.name + (p.value ? "='" + printable_setting(p.name, *p.value) + "': " : " ") + p.reason;
    }
    throw config_error(message);
}

// --- reading one variable: parse_into returns why the text does not parse, or "" ---

using text = const std::string&;

template <std::integral Integer>
std::string parse_into(text value, Integer& field) {
    long long number = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec == std::errc::result_out_of_range) return "out of range";
    if (ec != std::errc{} || end != value.data() + value.size()) return "not a decimal integer";
    // Checked before the cast so that "-1" cannot wrap around into a huge unsigned size.
    if (!std::in_range<Integer>(number)) return number < 0 ? "must not be negative" : "out of range";
    field = static_cast<Integer>(number);
    return {};
}

template <class Rep, class Period>
std::string parse_into(text value, std::chrono::duration<Rep, Period>& field) {
    Rep count{};
    auto why = parse_into(value, count);
    if (why.empty()) field = std::chrono::duration<Rep, Period>{count};
    return why;
}

template <class Value, std::size_t N>
std::string parse_keyword(text value, Value& field, const std::pair<std::string_view, Value> (&words)[N],
                          const char* expected) {
    const auto key = lower(value);
    const auto* match = std::find_if(std::begin(words), std::end(words), [&](const auto& w) { return w.first == key; });
    if (match == std::end(words)) return std::string("expected ") + expected;
    field = match->second;
    return {};
}

std::string parse_into(text value, bool& field) {
    static constexpr std::pair<std::string_view, bool> words[] = {{"true", true}, {"1", true},  {"yes", true},
                                                                  {"false", false}, {"0", false}, {"no", false}};
    return parse_keyword(value, field, words, "true/false, 1/0 or yes/no");
}

std::string parse_into(text value, topic_routing& field) {
    const auto parsed = parse_topic_routing(lower(value));
    if (!parsed) return "expected per_event_type or per_aggregate";
    field = *parsed;
    return {};
}

std::string parse_into(text value, envelope_format& field) {
    const auto parsed = parse_envelope_format(lower(value));
    if (!parsed) return "expected native, cloudevents_binary or cloudevents_structured";
    field = *parsed;
    return {};
}

std::string parse_into(text value, sensitive_field_policy& field) {
    static constexpr std::pair<std::string_view, sensitive_field_policy> words[] = {
        {"refuse", sensitive_field_policy::refuse}, {"redact", sensitive_field_policy::redact}};
    return parse_keyword(value, field, words, "refuse or redact");
}

// Comma-separated; blanks around items dropped, empty items skipped.
std::string parse_into(text value, std::vector<std::string>& field) {
    field.clear();
    for (std::size_t start = 0; start <= value.size();) {
        const auto comma = std::min(value.find(',', start), value.size());
        const auto item = std::string_view(value).substr(start, comma - start);
        const auto first = item.find_first_not_of(" \t");
        if (first != std::string_view::npos) {
            field.emplace_back(item.substr(first, item.find_last_not_of(" \t") + 1 - first));
        }
        start = comma + 1;
    }
    return {};
}

std::string parse_into(text value, std::string& field) {
    field = value;
    return {};
}

// A variable, the field it sets (named as `validate` names it) and how it is read.
struct setting {
    std::string_view variable;
    std::string_view field;
    std::string (*read)(config&, text);
};

constexpr setting settings[] = {
    {"KAFKA_BOOTSTRAP_SERVERS", "bootstrap_servers",
     [](config& c, text v) { return parse_into(v, c.bootstrap_servers); }},
    {"KAFKA_ENABLED", "kafka_enabled", [](config& c, text v) { return parse_into(v, c.kafka_enabled); }},
    {"KAFKA_TOPIC_PREFIX", "topic_prefix", [](config& c, text v) { return parse_into(v, c.topic_prefix.emplace()); }},
    {"KAFKA_TOPIC_ROUTING", "routing", [](config& c, text v) { return parse_into(v, c.routing); }},
    {"DOMAIN_EVENTS_ENVELOPE_FORMAT", "envelope_format",
     [](config& c, text v) { return parse_into(v, c.envelope_format); }},
    {"DOMAIN_EVENTS_DB", "database_path", [](config& c, text v) { return parse_into(v, c.database_path); }},
    {"DOMAIN_EVENTS_SOURCE", "source", [](config& c, text v) { return parse_into(v, c.source); }},
    {"DOMAIN_EVENTS_MAX_PAYLOAD_BYTES", "validation.max_payload_bytes",
     [](config& c, text v) { return parse_into(v, c.validation.max_payload_bytes); }},
    {"DOMAIN_EVENTS_MAX_JSON_DEPTH", "validation.max_depth",
     [](config& c, text v) { return parse_into(v, c.validation.max_depth); }},
    {"DOMAIN_EVENTS_SENSITIVE_FIELDS", "validation.sensitive_fields",
     [](config& c, text v) { return parse_into(v, c.validation.sensitive_fields); }},
    {"DOMAIN_EVENTS_SENSITIVE_POLICY", "validation.on_sensitive",
     [](config& c, text v) { return parse_into(v, c.validation.on_sensitive); }},
    {"DOMAIN_EVENTS_RELAY_BATCH_SIZE", "relay_batch_size",
     [](config& c, text v) { return parse_into(v, c.relay_batch_size); }},
    {"DOMAIN_EVENTS_RELAY_MAX_ATTEMPTS", "relay_max_attempts",
     [](config& c, text v) { return parse_into(v, c.relay_max_attempts); }},
    {"DOMAIN_EVENTS_RELAY_POLL_INTERVAL_MS", "relay_poll_interval",
     [](config& c, text v) { return parse_into(v, c.relay_poll_interval); }},
    {"DOMAIN_EVENTS_LEASE_PERIOD_MS", "lease_period", [](config& c, text v) { return parse_into(v, c.lease_period); }},
    {"DOMAIN_EVENTS_RETENTION_SECONDS", "published_retention",
     [](config& c, text v) { return parse_into(v, c.published_retention); }},
    {"KAFKA_TOPIC_PARTITIONS", "topics.partitions", [](config& c, text v) { return parse_into(v, c.topics.partitions); }},
    {"KAFKA_TOPIC_REPLICATION_FACTOR", "topics.replication_factor",
     [](config& c, text v) { return parse_into(v, c.topics.replication_factor); }},
    {"KAFKA_TOPIC_RETENTION_MS", "topics.retention_ms",
     [](config& c, text v) { return parse_into(v, c.topics.retention_ms); }},
    {"DOMAIN_EVENTS_HTTP_MAX_BODY_BYTES", "http.max_body_bytes",
     [](config& c, text v) { return parse_into(v, c.http.max_body_bytes); }},
    {"DOMAIN_EVENTS_HTTP_MAX_HEADER_BYTES", "http.max_header_bytes",
     [](config& c, text v) { return parse_into(v, c.http.max_header_bytes); }},
    {"DOMAIN_EVENTS_HTTP_MAX_CONNECTIONS", "http.max_connections",
     [](config& c, text v) { return parse_into(v, c.http.max_connections); }},
    {"DOMAIN_EVENTS_HTTP_REQUEST_TIMEOUT_MS", "http.request_timeout",
     [](config& c, text v) { return parse_into(v, c.http.request_timeout); }},
    {"DOMAIN_EVENTS_HTTP_THREADS", "http.threads", [](config& c, text v) { return parse_into(v, c.http.threads); }},
};

std::string property_field(std::string_view name) { return "kafka_properties[" + std::string(name) + "]"; }

// --- the rules, shared by validate() and config_from_environment() ---

std::vector<problem> check(const config& c, bool prefix_required) {
    std::vector<problem> found;
    const auto require = [&](bool ok, std::string_view field, std::optional<std::string> value, std::string reason) {
        if (!ok) found.push_back({std::string(field), std::move(value), std::move(reason)});
    };
    // std::cmp_* compare size_t and signed counts without wrapping.
    const auto within = [&](std::string_view field, auto value, long long min, std::optional<long long> max,
                            const char* unit) {
        const bool ok = std::cmp_greater_equal(value, min) && (!max || std::cmp_less_equal(value, *max));
        const auto bounds = max ? "within " + std::to_string(min) + ".." + std::to_string(*max)
                                : ">= " + std::to_string(min);
        require(ok, field, std::to_string(value), "must be " + bounds + unit);
    };

    require(c.topic_prefix || !prefix_required, "topic_prefix", std::nullopt, unset_prefix_reason);
    if (const auto& prefix = c.topic_prefix.value_or(""); !prefix.empty()) {
        const auto why = detail::topic_name_problem(prefix);
        require(why.empty(), "topic_prefix", prefix, "not a legal topic prefix: it " + why);
        require(!why.empty() || prefix.size() <= max_prefix_length, "topic_prefix", prefix,
                "is " + std::to_string(prefix.size()) + " characters long; at most " +
                    std::to_string(max_prefix_length) + " leave room for the event type in a topic name");
    }
    require(to_string(c.routing) != "invalid", "routing", std::to_string(static_cast<int>(c.routing)),
            "must be per_event_type or per_aggregate");
    require(to_string(c.envelope_format) != "invalid", "envelope_format", std::to_string(static_cast<int>(c.envelope_format)),
            "must be native, cloudevents_binary or cloudevents_structured");
    require(!c.database_path.empty(), "database_path", c.database_path, "must not be empty");
    if (!c.bootstrap_servers.empty()) {
        if (const auto bad = detail::bootstrap_problem(c.bootstrap_servers)) {
            require(false, "bootstrap_servers", c.bootstrap_servers,
                    (bad->first.empty() ? "" : "broker '" + bad->first + "': ") + bad->second +
                        "; expected host:port[,host:port...], e.g. kafka-1:9092,kafka-2:9092");
        }
    }
    // Two places naming the brokers would let one silently win over the other (and the log name
    // the loser): the property may only repeat the setting.
    if (const auto property = c.kafka_properties.find("bootstrap.servers");
        property != c.kafka_properties.end() && property->second != c.bootstrap_servers) {
        require(false, property_field("bootstrap.servers"), property->second,
                "names the brokers differently from bootstrap_servers (KAFKA_BOOTSTRAP_SERVERS, '" + c.bootstrap_servers +
                    "'); set the brokers there only");
    }
    require(!c.source.empty(), "source", c.source, "must not be empty");
    within("validation.max_payload_bytes", c.validation.max_payload_bytes, 1024, std::nullopt, " bytes");
    // 2: the envelope and its `data`; 1,000: far deeper, a recursive step (a handler's dump()) nears a thread's stack.
    within("validation.max_depth", c.validation.max_depth, 2, 1000, " levels");
    for (const auto& name : c.validation.sensitive_fields) {
        // A name without letters or digits matches no key, not even itself: a typo such as ",,".
        require(is_sensitive_key(name, name), "validation.sensitive_fields", name,
                "names no field (no letters or digits)");
    }
    const auto policy = c.validation.on_sensitive;
    require(policy == sensitive_field_policy::refuse || policy == sensitive_field_policy::redact,
            "validation.on_sensitive", std::to_string(static_cast<int>(policy)), "must be refuse or redact");
    within("relay_batch_size", c.relay_batch_size, 1, 100000, "");
    within("relay_max_attempts", c.relay_max_attempts, 1, std::nullopt, "");
    within("relay_poll_interval", c.relay_poll_interval.count(), 1, 10000, " ms");
    // Upper bounds: the relay adds these to the time now, in milliseconds and nanoseconds, and the
    // sum overflowed (undefined; in practice it wrapped): a lease of 2^63-1 ms expired as it was
    // taken, so a second relay took it too; a retention of 1.5e16 s put the cutoff in the future.
    within("lease_period", c.lease_period.count(), 500, 86'400'000, " ms");
    within("published_retention", c.published_retention.count(), 0, 3'153'600'000, " s");
    const auto check_topic = [&](const std::string& where, const topic_settings& t) {
        within(where + ".partitions", t.partitions, 1, std::nullopt, "");
        require(t.replication_factor == -1 || t.replication_factor >= 1, where + ".replication_factor",
                std::to_string(t.replication_factor), "must be -1 (broker default) or >= 1");
        within(where + ".retention_ms", t.retention_ms, -1, std::nullopt, " ms (-1: forever, 0: broker default)");
    };
    check_topic("topics", c.topics);
    within("http.max_body_bytes", c.http.max_body_bytes, 1, 64LL << 20, " bytes");
    within("http.max_header_bytes", c.http.max_header_bytes, 1024, 1LL << 20, " bytes");
    within("http.max_connections", c.http.max_connections, 1, 100000, "");
    within("http.request_timeout", c.http.request_timeout.count(), 100, 600000, " ms");
    within("http.threads", c.http.threads, 1, 64, "");
    // An override is looked up by what the routing puts after the prefix; a key of the other
    // kind (or a typo) would never apply, silently.
    const bool by_aggregate = c.routing == topic_routing::per_aggregate;
    for (const auto& [name, t] : c.topic_overrides) {
        const auto where = "topic_overrides[" + name + "]";
        check_topic(where, t);
        try {
            by_aggregate ? validate_aggregate_type(name) : validate_event_type(name);
        } catch (const validation_error&) {
            require(false, where, name,
                    by_aggregate ? "is not an aggregate type (^[a-z0-9_]+$); per_aggregate routing looks "
                                   "overrides up by aggregate type"
                                 : "is not an event type (resource.action); per_event_type routing looks "
                                   "overrides up by event type");
            continue;
        }
        // Its characters are legal (a bad prefix is reported above); only the length can break the topic.
        const auto length = prefixed_topic(c.topic_prefix.value_or(""), name).size();
        require(length <= max_topic_length, where, name,
                "with the prefix its topic is " + std::to_string(length) + " characters long; Kafka allows at most " +
                    std::to_string(max_topic_length));
    }
    for (const auto& [name, value] : c.kafka_properties) {
        const bool plain = std::all_of(name.begin(), name.end(), [](char ch) { return ch > ' ' && ch != '='; });
        require(!name.empty() && plain, property_field(name), value,
                "the librdkafka property name must be non-empty, without blanks or '='");
    }
    return found;
}

}  // namespace

bool is_secret_setting(std::string_view name) noexcept {
    static constexpr std::string_view words[] = {"password", "secret", "jaas", "key", "token", "credentials"};
    const auto holds = [name](std::string_view word) {
        return std::search(name.begin(), name.end(), word.begin(), word.end(), [](char a, char b) {
                   return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
               }) != name.end();
    };
    return std::any_of(std::begin(words), std::end(words), holds);
}

std::string printable_setting(std::string_view name, std::string_view value) {
    return is_secret_setting(name) ? std::string("[redacted]") : std::string(value);
}

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
    std::vector<problem> found;
    // Which variable set each field, so a rule broken later is reported by the variable's name.
    std::map<std::string, std::pair<std::string, std::string>, std::less<>> origin;
    for (const auto& s : settings) {
        const auto entry = env.find(s.variable);
        if (entry == env.end()) continue;
        if (auto why = s.read(c, entry->second); !why.empty()) {
            found.push_back({entry->first, entry->second, std::move(why)});
        } else {
            origin[std::string(s.field)] = *entry;
        }
    }
    for (auto it = env.lower_bound(property_prefix); it != env.end() && it->first.starts_with(property_prefix); ++it) {
        auto name = lower(std::string_view(it->first).substr(property_prefix.size()));
        std::replace(name.begin(), name.end(), '_', '.');
        if (const auto earlier = origin.find(property_field(name)); earlier != origin.end()) {
            found.push_back({it->first, it->second, "sets " + name + " as " + earlier->second.first + " does"});
            continue;
        }
        c.kafka_properties[name] = it->second;
        origin[property_field(name)] = *it;
    }
    for (auto& p : check(c, false)) {
        if (const auto source = origin.find(p.name); source != origin.end()) {
            p.name = source->second.first;
            p.value = source->second.second;
        }
        found.push_back(std::move(p));
    }
    if (!found.empty()) fail("invalid configuration in the environment:", found);
    return c;
}

void validate(const config& c) {
    if (const auto found = check(c, true); !found.empty()) fail("invalid configuration:", found);
}

const std::string& topic_prefix_of(const config& c) {
    if (!c.topic_prefix) throw config_error(std::string("topic_prefix ") + unset_prefix_reason);
    return *c.topic_prefix;
}

}  // namespace domain_events
