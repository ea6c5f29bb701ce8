#include "request_reading.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <domain_events/bounded_json.hpp>
#include <domain_events/error.hpp>

#include <healthcore/fields.hpp>

namespace healthcore::api {

namespace de = domain_events;
using json = nlohmann::json;

namespace {

json body_object(const de::http_request& req) {
    // The error names where the text broke, never what it said (it may hold personal data).
    const json body = de::parse_bounded_json(req.body, {req.body.size(), de::default_max_json_depth}, "body");
    if (!body.is_object()) throw de::validation_error("body", std::string("expected a JSON object, got ") + body.type_name());
    return body;
}

// A name a client may have mistyped (`emial`), safe to repeat; any other key may be data.
bool looks_like_a_field_name(std::string_view key) {
    return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// A typo'd field would otherwise be ignored silently and the client would think it was saved.
void refuse_unknown_fields(const json& body, std::span<const std::string_view> known) {
    for (const auto& [key, value] : body.items()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        if (looks_like_a_field_name(key)) throw de::validation_error(key, "is not a field of this resource");
        throw de::validation_error("body", "has a key that is not a field of this resource");
    }
}

}  // namespace

// The body as an object holding only `fields` (each optional here; handlers require theirs).
json body_with(const de::http_request& req, std::span<const std::string_view> fields) {
    auto body = body_object(req);
    refuse_unknown_fields(body, fields);
    return body;
}

// Type errors name the JSON type only, never the value (it may be the national id).
std::optional<std::string> optional_string(const json& body, const char* field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw de::validation_error(field, std::string("expected a string, got a ") + it->type_name());
    return it->get<std::string>();
}

std::string required_string(const json& body, const char* field) {
    auto value = optional_string(body, field);
    if (!value) throw de::validation_error(field, "is required");
    return std::move(*value);
}

std::int64_t required_id(const json& body, const char* field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) throw de::validation_error(field, "is required");
    if (!it->is_number_integer()) throw de::validation_error(field, std::string("expected an integer, got a ") + it->type_name());
    // An unsigned 2^63 or more would wrap to a negative id: refused as out of range instead.
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        throw de::validation_error(field, "is out of range (an id is 1 to 9223372036854775807)");
    const auto id = it->get<std::int64_t>();
    if (id < 1) throw de::validation_error(field, "is out of range (an id is 1 to 9223372036854775807)");
    return id;
}

// The text is not repeated: it is whatever the client put in the URL.
std::int64_t parse_id(const char* field, const std::string& text) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || id < 0)
        throw de::validation_error(field, "is not an id (digits, 0 to 9223372036854775807)");
    return id;
}

std::int64_t path_id(const de::http_request& req) { return parse_id("id", req.captures.at(0)); }

std::optional<std::chrono::year_month_day> optional_date(const json& body, const char* field) {
    auto text = optional_string(body, field);
    return text ? std::optional(parse_date(field, *text)) : std::nullopt;
}

constexpr std::size_t max_request_id_bytes = 128;

// The caller's X-Request-ID becomes the events' correlation id, so a request can be traced to
// Kafka. It goes into every event of the request and a Kafka header: bounded, and visible ASCII
// like an id (anything else failed the envelope's serialization far from the header at fault).
de::publish_context context_of(const de::http_request& req) {
    de::publish_context context;
    auto id = req.header("X-Request-ID");
    if (id.empty()) return context;
    if (id.size() > max_request_id_bytes)
        throw de::validation_error("X-Request-ID", "is " + std::to_string(id.size()) + " bytes, at most " +
                                                       std::to_string(max_request_id_bytes) + " allowed");
    if (!std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; }))
        throw de::validation_error("X-Request-ID", "must be visible ASCII ('!' to '~'), no spaces or controls");
    context.correlation_id = std::move(id);
    return context;
}

}  // namespace healthcore::api
