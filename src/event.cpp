#include "domain_events/event.hpp"

#include <sys/random.h>
#include <uuid/uuid.h>

#include <algorithm>
#include <cstdio>

#include "domain_events/error.hpp"
#include "publish/envelope_reader.hpp"
#include "json_text.hpp"

namespace domain_events {
namespace {

using namespace std::chrono;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A value as it appears in an error message; long values are cut so a message stays readable.
std::string describe(const nlohmann::json& value) {
    const auto text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

// The members of one JSON object, read with errors that name `<prefix><member>`.
class members {
public:
    members(const nlohmann::json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

    const nlohmann::json& any(const char* name) const {
        const auto found = object_.find(name);
        if (found == object_.end()) throw validation_error(path(name), "is missing");
        return *found;
    }

    std::string string(const char* name) const {
        const auto& value = any(name);
        if (!value.is_string()) throw ill_typed(name, "a string", value);
        return value.get<std::string>();
    }

    std::optional<std::string> optional_string(const char* name) const {
        const auto found = object_.find(name);
        if (found == object_.end() || found->is_null()) return std::nullopt;
        return string(name);
    }

    const nlohmann::json& object(const char* name) const {
        const auto& value = any(name);
        if (!value.is_object()) throw ill_typed(name, "an object", value);
        return value;
    }

    std::int64_t integer(const char* name) const {
        const auto& value = any(name);
        if (!value.is_number_integer() || (value.is_number_unsigned() && !detail::fits_a_version(value.get<std::uint64_t>()))) {
            throw ill_typed(name, "an integer", value);
        }
        return value.get<std::int64_t>();
    }

    std::string path(const char* name) const { return prefix_ + name; }

private:
    validation_error ill_typed(const char* name, const char* expected, const nlohmann::json& value) const {
        return validation_error(path(name), std::string("expected ") + expected + ", got " + describe(value));
    }

    const nlohmann::json& object_;
    std::string prefix_;
};

// Reads exactly the digits `pattern` marks with 'd', and checks its other characters literally.
bool matches(std::string_view text, std::string_view pattern) {
    if (text.size() < pattern.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == 'd' ? !is_digit(text[i]) : text[i] != pattern[i]) return false;
    }
    return true;
}

int number_at(std::string_view text, std::size_t pos, std::size_t digits) {
    int value = 0;
    for (std::size_t i = pos; i < pos + digits; ++i) value = value * 10 + (text[i] - '0');
    return value;
}

}  // namespace

std::string new_event_id(sys_time<milliseconds> at) {
    if (at.time_since_epoch().count() < 0) {
        throw usage_error("new_event_id: time " + std::to_string(at.time_since_epoch().count()) +
                          " ms is before 1970; a UUID v7 holds Unix time from 1970 on");
    }
    uuid_t id;
    // 74 random bits straight from the kernel (one syscall). libuuid's uuid_generate_random
    // draws the same bytes and then re-seeds and cranks libc's random() with five more syscalls
    // on every call, which was an eighth of a save's CPU. Stateless, so a forked child never
    // repeats its parent's ids; libuuid's generator stays the fallback (kernels without getrandom).
    if (::getrandom(id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) uuid_generate_random(id);
    // Version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, so ids made
    // close together sort close together and a consumer's dedupe index (and any table keyed by
    // event_id) grows at its right edge instead of dirtying random pages on every insert.
    const auto unix_ms = static_cast<std::uint64_t>(at.time_since_epoch().count());
    for (int i = 0; i < 6; ++i) id[i] = static_cast<unsigned char>(unix_ms >> (8 * (5 - i)));
    id[6] = static_cast<unsigned char>((id[6] & 0x0f) | 0x70);  // version 7
    id[8] = static_cast<unsigned char>((id[8] & 0x3f) | 0x80);  // RFC 9562 variant
    char text[37];
    uuid_unparse_lower(id, text);
    return text;
}

std::string new_event_id() { return new_event_id(floor<milliseconds>(system_clock::now())); }

bool is_uuid(std::string_view text) noexcept {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool hex = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_position ? c != '-' : !hex) return false;
    }
    return true;
}

event make_event(std::string event_type, std::string aggregate_type, std::string aggregate_id,
                 std::int64_t aggregate_version, nlohmann::json data, event_metadata metadata) {
    const auto now = floor<milliseconds>(system_clock::now());
    return event{new_event_id(now),
                 std::move(event_type),
                 now,
                 std::move(aggregate_type),
                 std::move(aggregate_id),
                 aggregate_version,
                 std::move(data),
                 std::move(metadata)};
}

std::string format_timestamp(sys_time<milliseconds> t) {
    const auto midnight = floor<days>(t);  // floor, not cast: before 1970 the day must not round up
    const year_month_day date{midnight};
    const hh_mm_ss clock{t - midnight};
    const int y = static_cast<int>(date.year());
    const auto month = static_cast<unsigned>(date.month());
    const auto day = static_cast<unsigned>(date.day());
    const auto h = static_cast<unsigned>(clock.hours().count());
    const auto m = static_cast<unsigned>(clock.minutes().count());
    const auto s = static_cast<unsigned>(clock.seconds().count());
    const auto ms = static_cast<unsigned>(clock.subseconds().count());
    if (y < 0 || y > 9999) {
        char text[48];
        std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", y, month, day, h, m, s, ms);
        return text;
    }
    // Digit by digit: snprintf was most of the cost of serializing an envelope.
    std::string text = "0000-00-00T00:00:00.000Z";
    const auto put = [&text](std::size_t at, unsigned value, std::size_t width) {
        for (std::size_t i = width; i-- > 0; value /= 10) text[at + i] = static_cast<char>('0' + value % 10);
    };
    put(0, static_cast<unsigned>(y), 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, h, 2);
    put(14, m, 2);
    put(17, s, 2);
    put(20, ms, 3);
    return text;
}

sys_time<milliseconds> parse_timestamp(std::string_view text, std::string_view field) {
    const auto refuse = [&](const char* why) {
        return validation_error(std::string(field), std::string("is not a UTC ISO-8601 timestamp (") +
                                                        why + "); expected e.g. 2025-12-14T19:00:00.123Z");
    };
    if (!matches(text, "dddd-dd-ddTdd:dd:dd")) throw refuse("expected YYYY-MM-DDTHH:MM:SS");
    std::size_t pos = 19;
    int millis = 0;
    if (pos < text.size() && text[pos] == '.') {
        const std::size_t start = ++pos;
        while (pos < text.size() && is_digit(text[pos])) ++pos;
        const std::size_t digits = pos - start;
        if (digits == 0 || digits > 9) throw refuse("the fraction must have 1 to 9 digits");
        const std::size_t kept = std::min<std::size_t>(digits, 3);
        millis = number_at(text, start, kept);
        for (std::size_t i = kept; i < 3; ++i) millis *= 10;
    }
    const auto zone = text.substr(pos);
    if (zone != "Z" && zone != "+00:00") throw refuse("the zone must be Z or +00:00");
    const year_month_day date{year{number_at(text, 0, 4)}, month{static_cast<unsigned>(number_at(text, 5, 2))},
                              day{static_cast<unsigned>(number_at(text, 8, 2))}};
    const int h = number_at(text, 11, 2), m = number_at(text, 14, 2), s = number_at(text, 17, 2);
    if (!date.ok()) throw refuse("no such date");
    if (h > 23 || m > 59 || s > 59) throw refuse("no such time of day");
    return sys_days{date} + hours{h} + minutes{m} + seconds{s} + milliseconds{millis};
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

// Written member by member, in the order to_json's object keeps its keys (sorted), so the text
// is the same as to_json(e).dump() without deep-copying `data` into a temporary object first:
// this runs once per saved event.
std::string serialize(const event& e) {
    std::string out;
    out.reserve(320);
    out += R"({"aggregate_id":)";
    detail::append_json_string(out, e.aggregate_id);
    out += R"(,"aggregate_type":)";
    detail::append_json_string(out, e.aggregate_type);
    out += R"(,"aggregate_version":)";
    out += std::to_string(e.aggregate_version);
    out += R"(,"data":)";
    out += e.data.dump();
    out += R"(,"event_id":)";
    detail::append_json_string(out, e.event_id);
    out += R"(,"event_type":)";
    detail::append_json_string(out, e.event_type);
    out += R"(,"metadata":{)";
    if (e.metadata.causation_id) {
        out += R"("causation_id":)";
        detail::append_json_string(out, *e.metadata.causation_id);
        out += ',';
    }
    if (e.metadata.correlation_id) {
        out += R"("correlation_id":)";
        detail::append_json_string(out, *e.metadata.correlation_id);
        out += ',';
    }
    out += R"("source":)";
    detail::append_json_string(out, e.metadata.source);
    out += R"(,"version":)";
    detail::append_json_string(out, e.metadata.version);
    out += R"(},"timestamp":")";
    out += format_timestamp(e.timestamp);
    out += R"("})";
    return out;
}

event event_from_json(const nlohmann::json& j, std::size_t max_depth) {
    // First: describing a value or copying `data` recurses.
    check_tree_depth(j, max_depth, "", 0, "envelope");
    if (!j.is_object()) throw validation_error("envelope", "expected a JSON object, got " + describe(j));
    const members envelope(j, "");
    event e;
    e.event_id = envelope.string("event_id");
    detail::check_event_id(e.event_id);
    e.event_type = envelope.string("event_type");
    e.timestamp = parse_timestamp(envelope.string("timestamp"), envelope.path("timestamp"));
    e.aggregate_type = envelope.string("aggregate_type");
    e.aggregate_id = envelope.string("aggregate_id");
    e.aggregate_version = envelope.integer("aggregate_version");
    e.data = envelope.object("data");
    const members metadata(envelope.object("metadata"), "metadata.");
    e.metadata.source = metadata.string("source");
    e.metadata.version = metadata.string("version");
    e.metadata.correlation_id = metadata.optional_string("correlation_id");
    e.metadata.causation_id = metadata.optional_string("causation_id");
    return e;
}

namespace detail {

void check_event_id(const std::string& id) {
    if (!is_uuid(id)) throw validation_error("event_id", "is not a UUID (8-4-4-4-12 hexadecimal digits)");
}

}  // namespace detail

event parse_event(std::string_view json_text, std::size_t max_depth) {
    if (auto e = detail::read_envelope(json_text, max_depth)) return std::move(*e);
    // A number too large for a double (`1e999`) is refused as not JSON too: found by the envelope
    // fuzzer (tests/fuzz/corpus/envelope/regression_number_overflow.json).
    const auto j = parse_bounded_json(json_text, {json_text.size(), max_depth}, "envelope");
    return event_from_json(j, max_depth);
}

}  // namespace domain_events
