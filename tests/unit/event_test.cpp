#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/event.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>
#include <unordered_set>

#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace de = domain_events;
using namespace std::chrono;

namespace {

de::event sample() {
    de::event_metadata metadata{.source = "healthcore-api", .version = "1.0", .correlation_id = "req-7",
                                .causation_id = std::nullopt};
    return de::make_event("patient.created", "patient", "123", 4, {{"patient_id", 123}, {"name", "John Doe"}},
                          metadata);
}

// "<field> | <what()>" of the validation_error reading `j` raises, or "no error".
std::string refusal(const nlohmann::json& j) {
    try {
        (void)de::event_from_json(j);
    } catch (const de::validation_error& e) {
        return e.field() + " | " + e.what();
    }
    return "no error";
}

std::set<std::string> keys_of(const nlohmann::json& object) {
    std::set<std::string> keys;
    for (const auto& [key, value] : object.items()) keys.insert(key);
    return keys;
}

}  // namespace

TEST(event, ids_are_lower_case_uuid_v7_and_unique) {
    // gmock's POSIX regex: g++ 12 warns falsely inside std::regex under the sanitizers.
    const auto v7 = ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    std::unordered_set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        const auto id = de::new_event_id();
        ASSERT_THAT(id, v7);
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10000u);
    EXPECT_TRUE(de::is_uuid(sample().event_id));
}

// The first 48 bits are the Unix time in milliseconds (RFC 9562), so ids sort by time and the
// consumers' dedupe index grows at its right edge.
TEST(event, ids_begin_with_their_time_and_sort_by_it) {
    using namespace std::chrono;
    const sys_time<milliseconds> at{milliseconds{1'763'900'000'123}};  // 0x019ab0a2077b
    const auto id = de::new_event_id(at);
    EXPECT_EQ(id.substr(0, 13), "019ab0a2-077b") << id;
    std::vector<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.push_back(de::new_event_id(at + milliseconds{i}));
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    const auto e = de::make_event("patient.created", "patient", "1", 1, nlohmann::json::object());
    EXPECT_EQ(std::stoull(e.event_id.substr(0, 8) + e.event_id.substr(9, 4), nullptr, 16),
              static_cast<unsigned long long>(e.timestamp.time_since_epoch().count()))
        << "make_event's id carries its timestamp";
    EXPECT_THROW((void)de::new_event_id(sys_time<milliseconds>{milliseconds{-1}}), de::usage_error);
}

// Consumers deduplicate by event_id: a generator with buffered or seeded state would hand a
// forked child (a pre-forking server) the same ids as its parent.
TEST(event, a_forked_child_never_repeats_its_parents_ids) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    (void)de::new_event_id();  // whatever state a generator keeps exists before the fork
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::string ids;
        for (int i = 0; i < 100; ++i) ids += de::new_event_id();
        const auto written = ::write(fds[1], ids.data(), ids.size());
        ::_exit(written == static_cast<ssize_t>(ids.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    std::unordered_set<std::string> parent;
    for (int i = 0; i < 100; ++i) parent.insert(de::new_event_id());
    std::string from_child;
    char buffer[512];
    for (ssize_t n = 0; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) from_child.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(from_child.size(), 3600u) << "100 ids of 36 characters";
    for (std::size_t at = 0; at < from_child.size(); at += 36) {
        EXPECT_EQ(parent.count(from_child.substr(at, 36)), 0u) << "the child repeated " << from_child.substr(at, 36);
    }
}

TEST(event, is_uuid_accepts_only_the_canonical_text_form) {
    EXPECT_TRUE(de::is_uuid("550e8400-e29b-41d4-a716-446655440000"));
    EXPECT_TRUE(de::is_uuid("550E8400-E29B-41D4-A716-446655440000"));
    for (const char* bad : {"", "550e8400e29b41d4a716446655440000", "550e8400-e29b-41d4-a716-44665544000",
                            "550e8400-e29b-41d4-a716-4466554400000", "550e8400-e29b-41d4-a716_446655440000",
                            "g50e8400-e29b-41d4-a716-446655440000", "{50e8400-e29b-41d4-a716-446655440000}"}) {
        EXPECT_FALSE(de::is_uuid(bad)) << bad;
    }
}

TEST(event, timestamps_are_utc_iso_8601_with_milliseconds) {
    const auto leap = sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms;
    EXPECT_EQ(de::format_timestamp(leap), "2024-02-29T23:59:59.999Z");
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59.999Z"), leap);
    EXPECT_EQ(de::format_timestamp(sys_days{2025y / December / 14} + 19h + 123ms), "2025-12-14T19:00:00.123Z");
    EXPECT_EQ(de::format_timestamp(sys_days{1970y / January / 1} + 5ms), "1970-01-01T00:00:00.005Z");
    // Before the epoch the day must be floored, not truncated towards zero.
    EXPECT_EQ(de::format_timestamp(sys_days{1970y / January / 1} - 1ms), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(de::format_timestamp(sys_days{0y / January / 1} + 1h + 2min + 3s + 40ms), "0000-01-01T01:02:03.040Z");
    EXPECT_EQ(de::format_timestamp(sys_days{9999y / December / 31} + 23h + 59min), "9999-12-31T23:59:00.000Z");
    EXPECT_EQ(de::format_timestamp(sys_days{year{10000} / January / 2}), "10000-01-02T00:00:00.000Z");
    EXPECT_EQ(de::format_timestamp(sys_days{year{-1} / March / 4}), "-001-03-04T00:00:00.000Z");
}

TEST(event, timestamps_parse_back_to_the_same_instant) {
    for (const auto t : {sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms,
                         sys_days{2000y / January / 1} + 0ms, sys_days{1969y / December / 31} + 12h + 1ms,
                         floor<milliseconds>(system_clock::now())}) {
        EXPECT_EQ(de::parse_timestamp(de::format_timestamp(t)), t) << de::format_timestamp(t);
    }
    const auto leap = sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms;
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59.999+00:00"), leap);
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59Z"), leap - 999ms);
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59.9Z"), leap - 99ms);
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59.999999Z"), leap) << "microseconds are truncated";
}

TEST(event, malformed_timestamps_are_refused_naming_the_field_not_the_text) {
    for (const char* bad : {"2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2025-02-30T00:00:00Z",
                            "2025-12-14 19:00:00Z", "2025-12-14t19:00:00Z", "2025-12-14T19:00:00",
                            "2025-12-14T19:00:00+02:00", "2025-12-14T19:00:00z", "2025-12-14T24:00:00Z",
                            "2025-12-14T19:60:00Z", "2025-12-14T19:00:60Z", "2025-12-14T19:00:00.Z",
                            "2025-12-14T19:00:00.1234567890Z", "2025-12-14T19:00:00.123Z ", "25-12-14T19:00:00Z",
                            "2025-1-14T19:00:00Z", "yesterday", ""}) {
        try {
            (void)de::parse_timestamp(bad, "scheduled_at");
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "scheduled_at");
            // The text is a client's: named by its field, never repeated.
            if (!std::string_view(bad).empty()) {
                EXPECT_EQ(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
            }
        }
    }
}

TEST(event, make_event_stamps_now_at_millisecond_precision) {
    const auto before = floor<milliseconds>(system_clock::now());
    const auto e = sample();
    EXPECT_GE(e.timestamp, before);
    EXPECT_LE(e.timestamp, system_clock::now());
    EXPECT_EQ(e.event_type, "patient.created");
    EXPECT_EQ(e.aggregate_type, "patient");
    EXPECT_EQ(e.aggregate_id, "123");
    EXPECT_EQ(e.aggregate_version, 4);
    EXPECT_EQ(e.metadata.source, "healthcore-api");
    EXPECT_EQ(de::make_event("a.b", "a", "1", 1, {}).metadata, de::event_metadata{});
}

TEST(event, json_has_exactly_the_design_shape) {
    auto e = sample();
    e.metadata.causation_id = "evt-1";
    const auto j = de::to_json(e);
    EXPECT_EQ(keys_of(j), (std::set<std::string>{"event_id", "event_type", "timestamp", "aggregate_type",
                                                 "aggregate_id", "aggregate_version", "data", "metadata"}));
    EXPECT_EQ(j["event_id"], e.event_id);
    EXPECT_EQ(j["event_type"], "patient.created");
    EXPECT_EQ(j["timestamp"], de::format_timestamp(e.timestamp));
    EXPECT_EQ(j["aggregate_type"], "patient");
    EXPECT_EQ(j["aggregate_id"], "123");
    EXPECT_TRUE(j["aggregate_version"].is_number_integer());
    EXPECT_EQ(j["aggregate_version"], 4);
    EXPECT_EQ(j["data"], (nlohmann::json{{"patient_id", 123}, {"name", "John Doe"}}));
    EXPECT_EQ(j["metadata"], (nlohmann::json{{"source", "healthcore-api"}, {"version", "1.0"},
                                             {"correlation_id", "req-7"}, {"causation_id", "evt-1"}}));
}

TEST(event, unset_trace_ids_are_left_out) {
    const auto j = de::to_json(de::make_event("patient.created", "patient", "1", 1, {}));
    EXPECT_EQ(keys_of(j["metadata"]), (std::set<std::string>{"source", "version"}));
}

TEST(event, round_trips_exactly) {
    auto e = sample();
    e.data["nested"] = {{"list", {1, 2.5, "three", nullptr, true}}, {"empty", nlohmann::json::object()}};
    e.data["unicode"] = "Zoë 東京";
    EXPECT_EQ(de::event_from_json(de::to_json(e)), e);
    const auto text = de::serialize(e);
    EXPECT_EQ(text, de::to_json(e).dump());
    EXPECT_EQ(de::serialize(de::parse_event(text)), text);
    EXPECT_EQ(de::parse_event(text), e);
    e.metadata.correlation_id.reset();
    e.aggregate_version = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(de::parse_event(de::serialize(e)), e);
}

TEST(event, serialize_writes_the_same_text_as_to_json_dump) {
    auto e = sample();
    e.aggregate_id = "a \"quoted\" \\ id\n\t\x01";
    e.metadata.source = "clinic/api \u00e9";
    e.metadata.causation_id = "evt-1";
    e.data = {{"z", 1}, {"a", {{"nested", "x"}}}, {"control", "\x1f"}};
    EXPECT_EQ(de::serialize(e), de::to_json(e).dump());
    e.metadata.causation_id.reset();
    e.metadata.correlation_id.reset();
    e.data = nlohmann::json::object();
    EXPECT_EQ(de::serialize(e), de::to_json(e).dump());
    e.aggregate_id = "\xff";
    EXPECT_THROW((void)de::serialize(e), nlohmann::json::type_error) << "not UTF-8, anywhere in the envelope";
}

TEST(event, null_trace_ids_read_as_unset) {
    auto j = de::to_json(sample());
    j["metadata"]["correlation_id"] = nullptr;
    EXPECT_FALSE(de::event_from_json(j).metadata.correlation_id.has_value());
}

TEST(event, reading_names_each_missing_field) {
    const auto good = de::to_json(sample());
    for (const std::string key : {"event_id", "event_type", "timestamp", "aggregate_type", "aggregate_id",
                                  "aggregate_version", "data", "metadata"}) {
        auto j = good;
        j.erase(key);
        EXPECT_EQ(refusal(j), key + " | " + key + ": is missing");
    }
    for (const std::string key : {"source", "version"}) {
        auto j = good;
        j["metadata"].erase(key);
        EXPECT_EQ(refusal(j), "metadata." + key + " | metadata." + key + ": is missing");
    }
}

TEST(event, reading_names_each_ill_typed_field_and_the_value) {
    const auto good = de::to_json(sample());
    const std::vector<std::tuple<std::string, nlohmann::json, std::string>> cases = {
        {"/event_id", 5, "event_id: expected a string, got 5"},
        {"/event_id", "not-a-uuid", "event_id: is not a UUID"},
        {"/event_type", nullptr, "event_type: expected a string, got null"},
        {"/timestamp", 1734202800123, "timestamp: expected a string, got 1734202800123"},
        {"/timestamp", "2025-12-14", "timestamp: is not a UTC ISO-8601 timestamp"},
        {"/aggregate_type", true, "aggregate_type: expected a string, got true"},
        {"/aggregate_id", 123, "aggregate_id: expected a string, got 123"},
        {"/aggregate_version", "4", "aggregate_version: expected an integer, got \"4\""},
        {"/aggregate_version", 4.5, "aggregate_version: expected an integer, got 4.5"},
        {"/aggregate_version", 18446744073709551615u, "aggregate_version: expected an integer, got 1844"},
        {"/data", nlohmann::json::array({1}), "data: expected an object, got [1]"},
        {"/metadata", "x", "metadata: expected an object, got \"x\""},
        {"/metadata/source", 1, "metadata.source: expected a string, got 1"},
        {"/metadata/version", 1.0, "metadata.version: expected a string, got 1.0"},
        {"/metadata/correlation_id", 7, "metadata.correlation_id: expected a string, got 7"},
        {"/metadata/causation_id", nlohmann::json::object(), "metadata.causation_id: expected a string, got {}"},
    };
    for (const auto& [pointer, value, expected] : cases) {
        auto j = good;
        j[nlohmann::json::json_pointer(pointer)] = value;
        const auto message = refusal(j);
        const auto field = expected.substr(0, expected.find(':'));
        EXPECT_EQ(message.substr(0, field.size() + 3), field + " | ") << message;
        EXPECT_NE(message.find(expected), std::string::npos) << message;
    }
}

TEST(event, unparsable_text_is_refused_as_the_envelope) {
    // 1e999 overflows a double: nlohmann throws out_of_range, not parse_error (a fuzzer finding).
    for (const char* text : {"{not json", "", "{\"event_id\": 1,}", "{\"aggregate_version\": 1e999}"}) {
        try {
            (void)de::parse_event(text);
            ADD_FAILURE() << "accepted " << text;
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "envelope");
            EXPECT_EQ(std::string(e.what()).rfind("envelope: not valid JSON (", 0), 0u) << e.what();
        }
    }
    EXPECT_EQ(refusal(nlohmann::json::array({1, 2})), "envelope | envelope: expected a JSON object, got [1,2]");
}
