#include "domain_events/publish/validation.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "domain_events/error.hpp"
#include "domain_events/publish/kafka_record.hpp"
#include "domain_events/publish/trace_context.hpp"
#include "publish/envelope_reader.hpp"
#include "publish/sensitive_scan.hpp"

namespace domain_events {
namespace {

// `[a-z0-9_]+`
bool is_word(std::string_view text) {
    using detail::is_digit, detail::is_lower;
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return is_lower(c) || is_digit(c) || c == '_'; });
}

std::string serialize_checked(const event& e) {
    try {
        return serialize(e);
    } catch (const nlohmann::json::type_error& error) {
        // "[json.exception.type_error.316] invalid UTF-8 byte at index 3: 0xFF": the part after
        // nlohmann's tag, which names a byte, never the text.
        const std::string_view what = error.what();
        const auto tag_end = what.find("] ");
        throw validation_error("envelope", "cannot be serialized: " +
                                               std::string(tag_end == std::string_view::npos ? what : what.substr(tag_end + 2)));
    }
}

// Well-formed values put in place of a field found at fault, so that checking can go on to the
// fields after it (event_from_json and validate_event stop at the first problem).
const std::pair<std::string_view, nlohmann::json> stand_ins[] = {
    {"event_id", "00000000-0000-4000-8000-000000000000"},
    {"event_type", "stand_in.checked"},
    {"timestamp", "1970-01-01T00:00:00.000Z"},
    {"aggregate_type", "stand_in"},
    {"aggregate_id", "stand-in"},
    {"aggregate_version", 1},
    {"data", nlohmann::json::object()},
    {"metadata", {{"source", "stand-in"}, {"version", "1.0"}}},
    {"metadata.source", "stand-in"},
    {"metadata.version", "1.0"},
    {"metadata.correlation_id", nullptr},
    {"metadata.causation_id", nullptr},
};

const nlohmann::json* stand_in_for(std::string_view field) {
    for (const auto& [name, value] : stand_ins) {
        if (name == field) return &value;
    }
    return nullptr;
}

// Replaces `field` (a dotted path of object members) in `envelope`; false for a field without a stand-in.
bool put_stand_in(nlohmann::json& envelope, const std::string& field) {
    const auto* value = stand_in_for(field);
    if (value == nullptr) return false;
    std::string pointer = "/" + field;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    envelope[nlohmann::json::json_pointer(pointer)] = *value;
    return true;
}

// A name that breaks its rule, quoted for an error: any producer's message can carry one of
// any length, and the error goes to logs, dead letters and status.
std::string quoted_name(std::string_view name) {
    constexpr std::size_t shown = 64;
    if (name.size() <= shown) return "'" + std::string(name) + "'";
    return "'" + std::string(name.substr(0, shown)) + "...' (" + std::to_string(name.size()) + " bytes)";
}

}  // namespace

void validate_event_type(std::string_view type) {
    std::size_t parts = 0;
    bool words = true;
    for (std::size_t start = 0; words && start <= type.size(); ++parts) {
        const auto dot = std::min(type.find('.', start), type.size());
        words = is_word(type.substr(start, dot - start));
        start = dot + 1;
    }
    if (!words || parts < 2) {
        throw validation_error("event_type", quoted_name(type) +
                                                 " is not resource.action: it must match "
                                                 "^[a-z0-9_]+(\\.[a-z0-9_]+)+$, e.g. patient.created");
    }
}

void validate_aggregate_type(std::string_view type) {
    if (!is_word(type)) {
        throw validation_error("aggregate_type",
                               quoted_name(type) + " must match ^[a-z0-9_]+$, e.g. patient or lab_result");
    }
}

bool is_sensitive_key(std::string_view key, std::string_view sensitive_name) {
    const auto name_form = detail::word_form(sensitive_name);
    return name_form != "_" && detail::word_form(key).find(name_form) != std::string::npos;
}

void check_envelope_rules(const event& e, std::size_t max_depth) {
    // First: whatever comes after (the sensitive-field scan, a serialization) recurses into `data`.
    check_tree_depth(e.data, max_depth, "data", 1, "data");
    validate_event_type(e.event_type);
    validate_aggregate_type(e.aggregate_type);
    detail::check_event_id(e.event_id);
    if (e.aggregate_id.empty()) throw validation_error("aggregate_id", "must not be empty");
    if (e.aggregate_version < 1) {
        throw validation_error("aggregate_version", std::to_string(e.aggregate_version) +
                                                        " must be >= 1 (the aggregate's version after the write)");
    }
    if (!e.data.is_object()) {
        throw validation_error("data", "must be a JSON object, got " + std::string(e.data.type_name()));
    }
    const auto& version = e.metadata.version;
    const auto major = std::string_view(version).substr(0, version.find('.'));
    if (major != supported_envelope_major) {
        throw validation_error("metadata.version", "'" + version.substr(0, 32) + "' has major version '" +
                                                       std::string(major.substr(0, 32)) + "'; this build reads " +
                                                       std::string(supported_envelope_major) + ".x");
    }
}

void check_trace_context(event_metadata& m) { detail::write_trace_fields(m.traceparent, m.tracestate, "metadata."); }

std::string validate_event(event& e, const validation_rules& rules, envelope_format format) {
    check_envelope_rules(e, rules.max_depth);
    check_trace_context(e.metadata);
    if (format != envelope_format::native && e.aggregate_version > std::numeric_limits<std::int32_t>::max()) {
        throw validation_error("aggregate_version", std::to_string(e.aggregate_version) +
                                                        " is beyond a CloudEvents Integer (at most 2147483647), the "
                                                        "type of the aggregateversion attribute (envelope_format " +
                                                        std::string(to_string(format)) + ")");
    }
    detail::sensitive_scan(rules).visit(e.data, "data");
    auto serialized = serialize_checked(e);
    // The record as Kafka counts it, in the format it is sent in, so that whatever passes here
    // can be published (kafka_record.hpp).
    if (const auto record = kafka_record_bytes(e, serialized, format); record > rules.max_payload_bytes) {
        const auto as = format == envelope_format::native ? std::string() : ", as " + std::string(to_string(format));
        throw validation_error("data", "the Kafka record is " + std::to_string(record) + " bytes (envelope " +
                                           std::to_string(serialized.size()) + ", with key, headers and framing" + as +
                                           "), over the limit of " + std::to_string(rules.max_payload_bytes) +
                                           " bytes (max_payload_bytes)");
    }
    return serialized;
}

std::vector<validation_error> envelope_problems(std::string_view json_text, const validation_rules& rules) {
    nlohmann::json envelope;
    try {
        // The size rule is the serialized envelope's, after redaction: checked below.
        envelope = parse_bounded_json(json_text, {json_text.size(), rules.max_depth}, "envelope");
    } catch (const validation_error& e) {
        return {e};
    }
    return parsed_envelope_problems(std::move(envelope), rules);
}

std::vector<validation_error> parsed_envelope_problems(nlohmann::json envelope, const validation_rules& rules) {
    if (!envelope.is_object()) {
        return {validation_error("envelope", std::string("expected a JSON object, got ") + envelope.type_name())};
    }
    // First: the stand-ins below copy the tree, recursively.
    try {
        check_tree_depth(envelope, rules.max_depth, "", 0, "envelope");
    } catch (const validation_error& too_deep) {
        return {too_deep};
    }
    std::vector<validation_error> problems;
    // The shape: each round notes one problem and puts a stand-in there; a field can only be
    // replaced once, so the rounds are bounded by the number of stand-ins.
    std::optional<event> e;
    for (std::size_t round = 0; !e && round <= std::size(stand_ins); ++round) {
        try {
            e = event_from_json(envelope);
        } catch (const validation_error& problem) {
            problems.push_back(problem);
            if (!put_stand_in(envelope, problem.field())) return problems;
        }
    }
    if (!e) return problems;
    // The rules, likewise; sensitive fields are collected separately, all of them.
    validation_rules without_sensitive = rules;
    without_sensitive.sensitive_fields.clear();
    for (std::size_t round = 0; round <= std::size(stand_ins); ++round) {
        try {
            validate_event(*e, without_sensitive);
            break;
        } catch (const validation_error& problem) {
            problems.push_back(problem);
            nlohmann::json fixed = to_json(*e);
            // The size is checked last and has no stand-in: nothing after it is left to check.
            if (problem.field() == "data" || !put_stand_in(fixed, problem.field())) break;
            e = event_from_json(fixed);
        }
    }
    detail::sensitive_scan(rules, &problems).visit(e->data, "data");
    return problems;
}

}  // namespace domain_events
