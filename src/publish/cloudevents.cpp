#include "publish/cloudevents.hpp"

#include <algorithm>
#include <charconv>

#include "publish/cloudevents_names.hpp"
#include "domain_events/bounded_json.hpp"
#include "domain_events/error.hpp"
#include "domain_events/publish/trace_context.hpp"
#include "publish/envelope_reader.hpp"
#include "json_text.hpp"

namespace domain_events::detail {
namespace ce = cloudevents;
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return out;
}

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
        if (length == 0 || i + length > text.size()) return false;
        std::uint32_t code = length == 1 ? byte : byte & (0x7fu >> length);
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) return false;
            code = (code << 6) | (next & 0x3f);
        }
        static constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < least[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
        i += length;
    }
    return true;
}

// `application/json`, `text/json` or `<anything>+json`, with or without parameters.
bool is_json_media_type(std::string_view type) {
    auto media = lower(type.substr(0, type.find(';')));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    return media == "application/json" || media == "text/json" || media.ends_with("+json");
}

std::int64_t version_from_text(std::string_view text, const std::string& attribute) {
    std::int64_t version = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (error != std::errc{} || end != text.data() + text.size()) {
        throw validation_error(attribute, "'" + std::string(text.substr(0, 32)) + "' is not a decimal integer");
    }
    return version;
}

void check_spec_version(std::string_view version, std::string_view attribute) {
    if (version != ce::spec_version) {
        throw validation_error(std::string(attribute), "'" + std::string(version.substr(0, 32)) +
                                                           "': this build reads CloudEvents 1.0");
    }
}

void set_trace(event& e, std::optional<std::string_view> traceparent, std::optional<std::string_view> tracestate) {
    if (!traceparent) return;
    if (const auto trace = trace_context::receive(*traceparent, tracestate.value_or(""))) {
        e.metadata.traceparent = trace->traceparent();
        if (!trace->tracestate().empty()) e.metadata.tracestate = trace->tracestate();
    }
}

// --- binary mode: attributes in headers ---

std::string header_text(std::optional<std::string_view> value, const ce::attribute& a, const char* needed_as) {
    if (!value) throw validation_error(std::string(a.header), std::string("is missing; the envelope needs it as ") + needed_as);
    if (!is_utf8(*value)) throw validation_error(std::string(a.header), "is not UTF-8 text");
    return std::string(*value);
}

std::optional<std::string> optional_header_text(std::optional<std::string_view> value, const ce::attribute& a) {
    if (!value) return std::nullopt;
    return header_text(value, a, "");
}

// --- structured mode: attributes as JSON members ---

std::string member_text(const nlohmann::json& object, std::string_view name, const char* needed_as) {
    const auto found = object.find(name);
    if (found == object.end()) {
        throw validation_error(std::string(name), std::string("is missing; the envelope needs it as ") + needed_as);
    }
    if (!found->is_string()) throw validation_error(std::string(name), std::string("expected a string, got ") + found->type_name());
    return found->get<std::string>();
}

std::optional<std::string> optional_member_text(const nlohmann::json& object, std::string_view name) {
    const auto found = object.find(name);
    if (found == object.end() || found->is_null()) return std::nullopt;
    return member_text(object, name, "");
}

std::optional<std::string_view> member_view(const nlohmann::json& object, std::string_view name) {
    const auto found = object.find(name);
    if (found == object.end() || !found->is_string()) return std::nullopt;
    return found->get_ref<const std::string&>();
}

}  // namespace

void write_structured_cloudevent(const record_fields& f, std::string_view data_json, std::string& out) {
    out.clear();
    out.reserve(data_json.size() + 384);
    const auto member = [&out](const ce::attribute& a, std::string_view value) {
        out.append(",\"").append(a.name).append("\":");
        append_json_string(out, value);
    };
    out.append(R"({"specversion":")").append(ce::spec_version).append("\"");
    member(ce::id, f.event_id);
    member(ce::source, f.source);
    member(ce::type, f.event_type);
    member(ce::time, f.timestamp);
    member(ce::subject, f.aggregate_id);
    out.append(",\"").append(ce::datacontenttype).append("\":\"").append(ce::data_content_type).append("\"");
    member(ce::aggregatetype, f.aggregate_type);
    out.append(",\"").append(ce::aggregateversion.name).append("\":").append(f.aggregate_version);
    member(ce::schemaversion, f.schema_version);
    member(ce::partitionkey, f.aggregate_id);
    if (f.correlation_id) member(ce::correlationid, *f.correlation_id);
    if (f.causation_id) member(ce::causationid, *f.causation_id);
    if (f.traceparent) member(ce::traceparent, *f.traceparent);
    if (f.tracestate) member(ce::tracestate, *f.tracestate);
    out.append(R"(,"data":)").append(data_json).append("}");
}

void note_binary_header(binary_attributes& a, std::string_view name, std::string_view value) noexcept {
    using slot = std::optional<std::string_view> binary_attributes::*;
    static constexpr std::pair<const ce::attribute*, slot> slots[] = {
        {&ce::specversion, &binary_attributes::specversion},
        {&ce::id, &binary_attributes::id},
        {&ce::source, &binary_attributes::source},
        {&ce::type, &binary_attributes::type},
        {&ce::time, &binary_attributes::time},
        {&ce::subject, &binary_attributes::subject},
        {&ce::aggregatetype, &binary_attributes::aggregatetype},
        {&ce::aggregateversion, &binary_attributes::aggregateversion},
        {&ce::schemaversion, &binary_attributes::schemaversion},
        {&ce::correlationid, &binary_attributes::correlationid},
        {&ce::causationid, &binary_attributes::causationid},
        {&ce::traceparent, &binary_attributes::traceparent},
        {&ce::tracestate, &binary_attributes::tracestate},
    };
    for (const auto& [attribute, member] : slots) {
        if (attribute->header == name) {
            a.*member = value;
            return;
        }
    }
    const bool content_type = name.size() == ce::content_type_header.size() &&
                              std::equal(name.begin(), name.end(), ce::content_type_header.begin(), [](char x, char y) {
                                  return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
                              });
    if (content_type) a.content_type = value;
}

event event_from_binary(const binary_attributes& a, std::string_view value, std::size_t max_depth) {
    check_spec_version(header_text(a.specversion, ce::specversion, "the CloudEvents version"), ce::specversion.header);
    if (a.content_type && !is_json_media_type(*a.content_type)) {
        throw validation_error(std::string(ce::content_type_header),
                               "'" + std::string(a.content_type->substr(0, 64)) + "' is not JSON; an event's data is a JSON object");
    }
    event e;
    e.event_id = header_text(a.id, ce::id, "event_id");
    check_event_id(e.event_id);
    e.event_type = header_text(a.type, ce::type, "event_type");
    e.timestamp = parse_timestamp(header_text(a.time, ce::time, "timestamp"), ce::time.header);
    e.aggregate_id = header_text(a.subject, ce::subject, "aggregate_id");
    e.aggregate_type = header_text(a.aggregatetype, ce::aggregatetype, "aggregate_type");
    e.aggregate_version = version_from_text(header_text(a.aggregateversion, ce::aggregateversion, "aggregate_version"),
                                            std::string(ce::aggregateversion.header));
    e.metadata.source = header_text(a.source, ce::source, "metadata.source");
    e.metadata.version = header_text(a.schemaversion, ce::schemaversion, "metadata.version");
    e.metadata.correlation_id = optional_header_text(a.correlationid, ce::correlationid);
    e.metadata.causation_id = optional_header_text(a.causationid, ce::causationid);
    set_trace(e, a.traceparent, a.tracestate);
    // After the attributes: the value is the largest part, and its errors name its own paths.
    e.data = parse_bounded_json(value, {value.size(), std::max<std::size_t>(max_depth, 2) - 1}, "data");
    return e;
}

event event_from_structured(nlohmann::json ce_json) {
    if (!ce_json.is_object()) {
        throw validation_error("envelope", std::string("a CloudEvent is a JSON object, got ") + ce_json.type_name());
    }
    check_spec_version(member_text(ce_json, ce::specversion.name, "the CloudEvents version"), ce::specversion.name);
    if (const auto type = optional_member_text(ce_json, ce::datacontenttype); type && !is_json_media_type(*type)) {
        throw validation_error(std::string(ce::datacontenttype),
                               "'" + type->substr(0, 64) + "' is not JSON; an event's data is a JSON object");
    }
    if (ce_json.contains("data_base64")) {
        throw validation_error("data_base64", "binary data is not an event's data; data must be a JSON object");
    }
    event e;
    e.event_id = member_text(ce_json, ce::id.name, "event_id");
    check_event_id(e.event_id);
    e.event_type = member_text(ce_json, ce::type.name, "event_type");
    e.timestamp = parse_timestamp(member_text(ce_json, ce::time.name, "timestamp"), ce::time.name);
    e.aggregate_id = member_text(ce_json, ce::subject.name, "aggregate_id");
    e.aggregate_type = member_text(ce_json, ce::aggregatetype.name, "aggregate_type");
    const auto version = ce_json.find(ce::aggregateversion.name);
    if (version == ce_json.end()) {
        throw validation_error(std::string(ce::aggregateversion.name), "is missing; the envelope needs it as aggregate_version");
    }
    if (version->is_string()) {
        e.aggregate_version = version_from_text(version->get_ref<const std::string&>(), std::string(ce::aggregateversion.name));
    } else if (version->is_number_integer() && !(version->is_number_unsigned() && !fits_a_version(version->get<std::uint64_t>()))) {
        e.aggregate_version = version->get<std::int64_t>();
    } else {
        throw validation_error(std::string(ce::aggregateversion.name),
                               std::string("expected an integer, got ") + version->type_name());
    }
    e.metadata.source = member_text(ce_json, ce::source.name, "metadata.source");
    e.metadata.version = member_text(ce_json, ce::schemaversion.name, "metadata.version");
    e.metadata.correlation_id = optional_member_text(ce_json, ce::correlationid.name);
    e.metadata.causation_id = optional_member_text(ce_json, ce::causationid.name);
    set_trace(e, member_view(ce_json, ce::traceparent.name), member_view(ce_json, ce::tracestate.name));
    const auto data = ce_json.find("data");
    if (data == ce_json.end()) throw validation_error("data", "is missing; an event's data is a JSON object");
    e.data = std::move(*data);
    return e;
}

std::string attribute_of_field(const std::string& field, bool binary) {
    static constexpr std::pair<std::string_view, const ce::attribute*> fields[] = {
        {"event_id", &ce::id},
        {"event_type", &ce::type},
        {"timestamp", &ce::time},
        {"aggregate_id", &ce::subject},
        {"aggregate_type", &ce::aggregatetype},
        {"aggregate_version", &ce::aggregateversion},
        {"metadata.source", &ce::source},
        {"metadata.version", &ce::schemaversion},
    };
    for (const auto& [name, attribute] : fields) {
        if (name == field) return std::string(binary ? attribute->header : attribute->name);
    }
    return field;
}

}  // namespace domain_events::detail
