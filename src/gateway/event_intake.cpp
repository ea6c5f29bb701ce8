#include "event_intake.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include <domain_events/error.hpp>
#include <domain_events/publish/topic_routing.hpp>
#include <domain_events/publish/validation.hpp>

namespace domain_events::gateway {
namespace {

using json = nlohmann::json;

constexpr std::string_view event_fields[] = {"event_type", "aggregate_type", "aggregate_id", "data",
                                             "event_id",   "correlation_id", "causation_id"};

bool looks_like_a_field_name(std::string_view key) {
    return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// A mistyped field would otherwise be dropped and the client believe it was kept.
void refuse_unknown_fields(const json& entry) {
    for (const auto& [key, ignored] : entry.items()) {
        if (std::find(std::begin(event_fields), std::end(event_fields), key) != std::end(event_fields)) continue;
        if (looks_like_a_field_name(key)) throw validation_error(key, "is not a field of an event");
        throw validation_error("event", "has a key that is not a field of an event");
    }
}

// Type errors name the JSON type, never the value (it may be personal data).
const json* optional_member(const json& entry, const char* field) {
    const auto it = entry.find(field);
    if (it == entry.end() || it->is_null()) return nullptr;
    return &*it;
}

std::string required_string(const json& entry, const char* field) {
    const auto* value = optional_member(entry, field);
    if (value == nullptr) throw validation_error(field, "is required");
    if (!value->is_string()) throw validation_error(field, std::string("expected a string, got ") + value->type_name());
    return value->get<std::string>();
}

// An id copied into the envelope and a Kafka header: bounded, visible ASCII.
std::optional<std::string> optional_id(const json& entry, const char* field) {
    const auto* value = optional_member(entry, field);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) throw validation_error(field, std::string("expected a string, got ") + value->type_name());
    auto id = value->get<std::string>();
    if (id.empty() || id.size() > max_id_bytes) {
        throw validation_error(field, "must be 1 to " + std::to_string(max_id_bytes) + " bytes");
    }
    if (!std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
        throw validation_error(field, "must be visible ASCII ('!' to '~'), no spaces or controls");
    }
    return id;
}

// FNV-1a, 64 bits: stable across builds and runs (std::hash is not), so a fingerprint written
// today compares with a retry's after an upgrade. Each part ends with a byte JSON text never holds.
class fingerprint_builder {
public:
    void add(std::string_view part) noexcept {
        for (const char c : part) mix(static_cast<unsigned char>(c));
        mix(0xff);
    }
    void add_optional(const std::optional<std::string>& part) noexcept {
        if (part) add(std::string_view(*part));
        else mix(0xfe);
    }
    [[nodiscard]] std::uint64_t value() const noexcept { return hash_; }

private:
    void mix(unsigned char byte) noexcept {
        hash_ ^= byte;
        hash_ *= 1099511628211ull;
    }
    std::uint64_t hash_ = 14695981039346656037ull;
};

}  // namespace

incoming_event event_intake::read(const json& entry, std::string_view prefix) const {
    try {
        return read_fields(entry);
    } catch (const validation_error& e) {
        if (prefix.empty()) throw;
        // The message after "field: " is kept; the field gains the entry's place in the batch.
        const std::string what = e.what();
        const auto reason = what.substr(std::min(what.size(), e.field().size() + 2));
        throw validation_error(std::string(prefix) + e.field(), reason);
    }
}

incoming_event event_intake::read_fields(const json& entry) const {
    if (!entry.is_object()) throw validation_error("event", std::string("expected a JSON object, got ") + entry.type_name());
    refuse_unknown_fields(entry);
    auto type = required_string(entry, "event_type");
    validate_event_type(type);
    const auto* rules = gateway_.rules_for(type);
    if (rules == nullptr) throw validation_error("event_type", "'" + type + "' is not an event type this gateway accepts");
    auto aggregate_type = required_string(entry, "aggregate_type");
    validate_aggregate_type(aggregate_type);
    // The topic's name must be legal too (at most 249 characters with the prefix).
    validate_topic_name(topic_for(topic_prefix_of(settings_), settings_.routing, type, aggregate_type), "event_type");
    auto aggregate_id = required_string(entry, "aggregate_id");
    if (aggregate_id.empty() || aggregate_id.size() > max_id_bytes) {
        throw validation_error("aggregate_id", "must be 1 to " + std::to_string(max_id_bytes) + " bytes");
    }
    const auto* data = optional_member(entry, "data");
    if (data == nullptr) throw validation_error("data", "is required");
    if (!data->is_object()) throw validation_error("data", std::string("expected an object, got ") + data->type_name());

    incoming_event in;
    in.e.event_type = std::move(type);
    in.e.aggregate_type = std::move(aggregate_type);
    in.e.aggregate_id = std::move(aggregate_id);
    in.e.metadata.source = settings_.source;
    in.e.metadata.correlation_id = optional_id(entry, "correlation_id");
    in.e.metadata.causation_id = optional_id(entry, "causation_id");
    if (const auto* id = optional_member(entry, "event_id")) {
        if (!id->is_string() || !is_uuid(id->get_ref<const std::string&>())) {
            throw validation_error("event_id", "must be a UUID (8-4-4-4-12 hexadecimal digits)");
        }
        in.e.event_id = id->get<std::string>();
        std::transform(in.e.event_id.begin(), in.e.event_id.end(), in.e.event_id.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        in.id_from_client = true;
    }

    if (in.id_from_client) {  // what a retry under the same id is compared with
        fingerprint_builder fingerprint;
        fingerprint.add(in.e.event_type);
        fingerprint.add(in.e.aggregate_type);
        fingerprint.add(in.e.aggregate_id);
        fingerprint.add(data->dump());  // objects dump with sorted keys: the same content, the same text
        fingerprint.add_optional(in.e.metadata.correlation_id);
        fingerprint.add_optional(in.e.metadata.causation_id);
        in.fingerprint = fingerprint.value();
    }

    auto made = make_event(in.e.event_type, in.e.aggregate_type, in.e.aggregate_id, 1, *data, in.e.metadata);
    if (in.id_from_client) made.event_id = in.e.event_id;
    in.e = std::move(made);
    (void)validate_event(in.e, *rules, settings_.envelope_format);  // the type's rules; may redact data
    in.e.aggregate_version = 0;
    return in;
}

}  // namespace domain_events::gateway
