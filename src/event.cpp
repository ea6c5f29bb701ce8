#include "domain_events/event.hpp"

#include <uuid/uuid.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

using namespace std::chrono;

std::string describe(const nlohmann::json& value) {
    const auto text = value.dump();
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

const nlohmann::json& member(const nlohmann::json& object, const std::string& name, const std::string& path) {
    const auto found = object.find(name);
    if (found == object.end()) throw validation_error(path, "is missing");
    return *found;
}

std::string string_member(const nlohmann::json& object, const std::string& name, const std::string& path) {
    const auto& value = member(object, name, path);
    if (!value.is_string()) throw validation_error(path, "expected a string, got " + describe(value));
    return value.get<std::string>();
}

std::optional<std::string> optional_string_member(const nlohmann::json& object, const std::string& name,
                                                  const std::string& path) {
    if (!object.contains(name) || object.at(name).is_null()) return std::nullopt;
    return string_member(object, name, path);
}

const nlohmann::json& object_member(const nlohmann::json& object, const std::string& name, const std::string& path) {
    const auto& value = member(object, name, path);
    if (!value.is_object()) throw validation_error(path, "expected an object, got " + describe(value));
    return value;
}

// Reads exactly `digits` decimal digits at `pos`; false when any is missing.
bool read_number(std::string_view text, std::size_t pos, std::size_t digits, int& out) {
    if (pos + digits > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + digits; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

}  // namespace

std::string new_event_id() {
    uuid_t id;
    uuid_generate_random(id);
    char text[37];
    uuid_unparse_lower(id, text);
    return text;
}

bool is_uuid(std::string_view text) noexcept {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

event make_event(std::string event_type, std::string aggregate_type, std::string aggregate_id,
                 std::int64_t aggregate_version, nlohmann::json data, event_metadata metadata) {
    return event{new_event_id(),
                 std::move(event_type),
                 time_point_cast<milliseconds>(system_clock::now()),
                 std::move(aggregate_type),
                 std::move(aggregate_id),
                 aggregate_version,
                 std::move(data),
                 std::move(metadata)};
}

std::string format_timestamp(sys_time<milliseconds> t) {
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss time{t - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
    return text;
}

sys_time<milliseconds> parse_timestamp(std::string_view text, std::string_view field) {
    const auto bad = [&](const std::string& why) {
        return validation_error(std::string(field), "'" + std::string(text) + "' is not a UTC ISO-8601 timestamp (" +
                                                        why + "), expected e.g. 2025-12-14T19:00:00.123Z");
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
    if (!read_number(text, 0, 4, y) || text.size() < 19 || text[4] != '-' || !read_number(text, 5, 2, mo) ||
        text[7] != '-' || !read_number(text, 8, 2, d) || text[10] != 'T' || !read_number(text, 11, 2, h) ||
        text[13] != ':' || !read_number(text, 14, 2, mi) || text[16] != ':' || !read_number(text, 17, 2, s)) {
        throw bad("date and time");
    }
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
        const std::size_t start = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        const std::size_t digits = pos - start;
        if (digits == 0 || digits > 9) throw bad("fraction");
        int fraction = 0;
        read_number(text, start, std::min<std::size_t>(digits, 3), fraction);
        for (std::size_t i = digits; i < 3; ++i) fraction *= 10;
        ms = fraction;  // finer digits are truncated to milliseconds
    }
    const auto zone = text.substr(pos);
    if (zone != "Z" && zone != "+00:00") throw bad("zone must be Z or +00:00");
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok() || h > 23 || mi > 59 || s > 59) throw bad("no such date or time");
    return sys_days{date} + hours{h} + minutes{mi} + seconds{s} + milliseconds{ms};
}

nlohmann::json to_json(const event& e) {
    nlohmann::json metadata = {{"source", e.metadata.source}, {"version", e.metadata.version}};
    if (e.metadata.correlation_id) metadata["correlation_id"] = *e.metadata.correlation_id;
    if (e.metadata.causation_id) metadata["causation_id"] = *e.metadata.causation_id;
    return {{"event_id", e.event_id},
            {"event_type", e.event_type},
            {"timestamp", format_timestamp(e.timestamp)},
            {"aggregate_type", e.aggregate_type},
            {"aggregate_id", e.aggregate_id},
            {"aggregate_version", e.aggregate_version},
            {"data", e.data},
            {"metadata", std::move(metadata)}};
}

std::string serialize(const event& e) { return to_json(e).dump(); }

event event_from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw validation_error("envelope", "expected a JSON object, got " + describe(j));
    event e;
    e.event_id = string_member(j, "event_id", "event_id");
    if (!is_uuid(e.event_id)) throw validation_error("event_id", "'" + e.event_id + "' is not a UUID");
    e.event_type = string_member(j, "event_type", "event_type");
    e.timestamp = parse_timestamp(string_member(j, "timestamp", "timestamp"));
    e.aggregate_type = string_member(j, "aggregate_type", "aggregate_type");
    e.aggregate_id = string_member(j, "aggregate_id", "aggregate_id");
    const auto& version = member(j, "aggregate_version", "aggregate_version");
    if (!version.is_number_integer()) {
        throw validation_error("aggregate_version", "expected an integer, got " + describe(version));
    }
    e.aggregate_version = version.get<std::int64_t>();
    e.data = object_member(j, "data", "data");
    const auto& metadata = object_member(j, "metadata", "metadata");
    e.metadata.source = string_member(metadata, "source", "metadata.source");
    e.metadata.version = string_member(metadata, "version", "metadata.version");
    e.metadata.correlation_id = optional_string_member(metadata, "correlation_id", "metadata.correlation_id");
    e.metadata.causation_id = optional_string_member(metadata, "causation_id", "metadata.causation_id");
    return e;
}

event parse_event(std::string_view json_text) {
    auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw validation_error("envelope", "not valid JSON");
    return event_from_json(j);
}

}  // namespace domain_events
