#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/event.hpp>

#include <regex>
#include <set>

namespace de = domain_events;
using namespace std::chrono;

namespace {

de::event sample() {
    de::event_metadata metadata{.source = "healthcore-api", .version = "1.0", .correlation_id = "req-7",
                                .causation_id = std::nullopt};
    return de::make_event("patient.created", "patient", "123", 4, {{"patient_id", 123}, {"name", "John Doe"}},
                          metadata);
}

std::string field_of_error(const nlohmann::json& j) {
    try {
        (void)de::event_from_json(j);
    } catch (const de::validation_error& e) {
        return e.field() + " | " + e.what();
    }
    return "no error";
}

}  // namespace

TEST(event, ids_are_lower_case_uuid_v4_and_unique) {
    const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        const auto id = de::new_event_id();
        ASSERT_TRUE(std::regex_match(id, v4)) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(event, timestamps_are_utc_iso_8601_with_milliseconds) {
    const auto leap = sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms;
    EXPECT_EQ(de::format_timestamp(leap), "2024-02-29T23:59:59.999Z");
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59.999Z"), leap);
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59.999+00:00"), leap);
    EXPECT_EQ(de::parse_timestamp("2024-02-29T23:59:59Z"), leap - 999ms);
    EXPECT_EQ(de::format_timestamp(sys_days{1970y / January / 1} + 5ms), "1970-01-01T00:00:00.005Z");
}

TEST(event, malformed_timestamps_are_refused_naming_the_text) {
    for (const char* bad : {"2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-12-14 19:00:00Z",
                            "2025-12-14T19:00:00", "2025-12-14T19:00:00+02:00", "2025-12-14T25:00:00Z", "yesterday",
                            "2025-12-14T19:00:00.Z"}) {
        try {
            (void)de::parse_timestamp(bad, "scheduled_at");
            ADD_FAILURE() << "accepted " << bad;
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "scheduled_at");
            EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
        }
    }
}

TEST(event, make_event_stamps_now_at_millisecond_precision) {
    const auto before = time_point_cast<milliseconds>(system_clock::now());
    const auto e = sample();
    EXPECT_GE(e.timestamp, before);
    EXPECT_LE(e.timestamp, system_clock::now());
    EXPECT_EQ(e.aggregate_version, 4);
}

TEST(event, json_has_exactly_the_design_shape) {
    auto e = sample();
    const auto j = de::to_json(e);
    std::set<std::string> keys;
    for (const auto& [key, _] : j.items()) keys.insert(key);
    EXPECT_EQ(keys, (std::set<std::string>{"event_id", "event_type", "timestamp", "aggregate_type", "aggregate_id",
                                           "aggregate_version", "data", "metadata"}));
    EXPECT_EQ(j["metadata"], (nlohmann::json{{"source", "healthcore-api"}, {"version", "1.0"},
                                             {"correlation_id", "req-7"}}));
    EXPECT_TRUE(j["aggregate_version"].is_number_integer());
    EXPECT_TRUE(j["aggregate_id"].is_string());
}

TEST(event, round_trips_exactly) {
    const auto e = sample();
    EXPECT_EQ(de::event_from_json(de::to_json(e)), e);
    const auto text = de::serialize(e);
    EXPECT_EQ(de::serialize(de::parse_event(text)), text);
    EXPECT_EQ(de::parse_event(text), e);
}

TEST(event, reading_names_each_missing_or_ill_typed_field) {
    const auto good = de::to_json(sample());
    for (const char* key : {"event_id", "event_type", "timestamp", "aggregate_type", "aggregate_id",
                            "aggregate_version", "data", "metadata"}) {
        auto j = good;
        j.erase(key);
        EXPECT_EQ(field_of_error(j).substr(0, std::string(key).size() + 3), std::string(key) + " | ");
    }
    auto j = good;
    j["aggregate_version"] = "4";
    EXPECT_NE(field_of_error(j).find("aggregate_version | aggregate_version: expected an integer, got \"4\""),
              std::string::npos)
        << field_of_error(j);
    j = good;
    j["event_id"] = "not-a-uuid";
    EXPECT_EQ(field_of_error(j).substr(0, 11), "event_id | ");
    j = good;
    j["metadata"].erase("source");
    EXPECT_EQ(field_of_error(j).substr(0, 18), "metadata.source | ");
    j = good;
    j["data"] = nlohmann::json::array();
    EXPECT_EQ(field_of_error(j).substr(0, 7), "data | ");
    EXPECT_THROW((void)de::parse_event("{not json"), de::validation_error);
    try {
        (void)de::parse_event("[1,2]");
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "envelope");
    }
}
