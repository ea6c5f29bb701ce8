// Bounded JSON (bounded_json.hpp): every place JSON enters refuses nesting past the limit before
// a tree is built, names the path at fault and never quotes the text; a tree of any depth can be
// checked without recursion. 200,000 levels is what crashed a consumer on every restart.
#include <gtest/gtest.h>

#include <domain_events/bounded_json.hpp>
#include <domain_events/error.hpp>
#include <domain_events/event.hpp>
#include <domain_events/publish/validation.hpp>

#include <string>

#include "consume/message_check.hpp"
#include "publish/envelope_reader.hpp"

namespace de = domain_events;
using json = nlohmann::json;

namespace {

constexpr std::size_t hostile_depth = 200000;

std::string nested_arrays(std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

// A valid envelope whose `data` holds `inner` under the key "deep" (data is level 2, so "deep"'s
// value is level 3).
std::string envelope_with(const std::string& inner, const std::string& extra_member = "") {
    return R"({"event_id":"01934b7e-6c2a-7d3e-9f10-0123456789ab","event_type":"patient.created",)"
           R"("timestamp":"2026-11-23T10:00:00.123Z","aggregate_type":"patient","aggregate_id":"42",)"
           R"("aggregate_version":1,"data":{"deep":)" +
           inner + R"(},"metadata":{"source":"api","version":"1.0"})" + extra_member + "}";
}

// A tree `levels` arrays deep, built without recursion.
json nested_tree(std::size_t levels) {
    json root = json::array();
    json* innermost = &root;
    for (std::size_t i = 1; i < levels; ++i) {
        innermost->push_back(json::array());
        innermost = &innermost->back();
    }
    return root;
}

std::string refused_field(auto&& call) {
    try {
        call();
    } catch (const de::validation_error& e) {
        EXPECT_NE(std::string(e.what()).find("max_depth"), std::string::npos) << e.what();
        return e.field();
    }
    return "accepted";
}

TEST(bounded_json, the_limit_itself_is_accepted_and_one_level_more_is_refused_naming_its_path) {
    const std::string text = R"({"a":[1,{"b":[[]]}]})";  // the innermost array is level 5
    EXPECT_EQ(refused_field([&] { de::check_json_depth(text, 5, "body"); }), "accepted");
    EXPECT_EQ(refused_field([&] { de::check_json_depth(text, 4, "body"); }), "a[1].b[0]");
    EXPECT_EQ(refused_field([&] { (void)de::parse_bounded_json(text, {1024, 4}, "body"); }), "a[1].b[0]");
    EXPECT_EQ(refused_field([&] { de::check_json_depth(nested_arrays(3), 2, "body"); }), "[0][0]");
    EXPECT_EQ(refused_field([&] { de::check_json_depth("[]", 0, "body"); }), "body") << "the outermost value named by what";
}

TEST(bounded_json, brackets_inside_strings_and_escaped_quotes_do_not_count) {
    EXPECT_EQ(refused_field([&] { de::check_json_depth(R"({"s":"[[[[\"{{{{","t":[]})", 2, "body"); }), "accepted");
}

TEST(bounded_json, keys_in_a_path_are_cut_so_an_error_stays_short) {
    const std::string key(1000, 'k');
    const auto field = refused_field([&] { de::check_json_depth("{\"" + key + "\":[[]]}", 2, "body"); });
    EXPECT_EQ(field, std::string(64, 'k') + "[0]");
}

TEST(bounded_json, errors_name_the_offset_and_the_size_never_the_text) {
    try {
        (void)de::parse_bounded_json(R"({"national_id": "AB123456)", {1024, 64}, "body");
        FAIL() << "accepted unterminated JSON";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "body");
        EXPECT_EQ(std::string(e.what()).find("AB123456"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("at byte"), std::string::npos) << e.what();
    }
    try {
        (void)de::parse_bounded_json(std::string(2000, ' '), {1000, 64}, "body");
        FAIL() << "accepted text over the size limit";
    } catch (const de::validation_error& e) {
        EXPECT_NE(std::string(e.what()).find("over the limit of 1000"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(de::try_parse_bounded_json(nested_arrays(65), {1024, 64}));
    EXPECT_FALSE(de::try_parse_bounded_json("{", {1024, 64}));
    EXPECT_EQ(de::try_parse_bounded_json(nested_arrays(64), {1024, 64})->dump(), nested_arrays(64));
}

TEST(bounded_json, a_tree_of_any_depth_is_checked_without_recursion) {
    const auto deep = nested_tree(hostile_depth);
    const auto path = de::too_deep_path(deep, 64, "data", 1);
    ASSERT_TRUE(path);
    std::string expected = "data";
    for (int i = 0; i < 63; ++i) expected += "[0]";
    EXPECT_EQ(*path, expected) << "data is level 2; the first array past level 64";
    EXPECT_FALSE(de::too_deep_path(nested_tree(63), 64, "data", 1));
    EXPECT_FALSE(de::too_deep_path(json{{"a", 1}, {"b", json::array({1, 2})}}, 2, ""));
    EXPECT_EQ(de::too_deep_path(json{{"a", 1}, {"b", json::array({1, json::object()})}}, 2, ""), "b[1]");
}

TEST(bounded_json, parse_event_refuses_data_nested_too_deep_by_either_reader) {
    const auto deep = envelope_with(nested_arrays(hostile_depth));
    EXPECT_FALSE(de::detail::read_envelope(deep)) << "the tree-less reader declines it";
    EXPECT_EQ(refused_field([&] { (void)de::parse_event(deep); }).rfind("data.deep[0][0]", 0), 0u);
    // Levels 1 (envelope), 2 (data), 3.. (deep): 62 arrays reach 64.
    EXPECT_EQ(refused_field([&] { (void)de::parse_event(envelope_with(nested_arrays(62))); }), "accepted");
    EXPECT_NE(refused_field([&] { (void)de::parse_event(envelope_with(nested_arrays(63))); }), "accepted");
    EXPECT_EQ(refused_field([&] { (void)de::parse_event(envelope_with(nested_arrays(3)), 4); }), "data.deep[0][0]")
        << "the limit is the caller's";
    // An unknown member is bounded too, so both readers agree on it.
    const auto unknown = envelope_with("1", R"(,"extra":)" + nested_arrays(hostile_depth));
    EXPECT_FALSE(de::detail::read_envelope(unknown));
    EXPECT_EQ(refused_field([&] { (void)de::parse_event(unknown); }).rfind("extra[0]", 0), 0u);
}

TEST(bounded_json, publishing_refuses_data_nested_too_deep_before_scanning_or_serializing_it) {
    auto e = de::make_event("patient.created", "patient", "1", 1, json::object());
    e.data["deep"] = nested_tree(hostile_depth);
    EXPECT_EQ(refused_field([&] { (void)de::validate_event(e, {}); }).rfind("data.deep[0]", 0), 0u);
    e.data["deep"] = nested_tree(3);  // levels 3..5
    EXPECT_EQ(refused_field([&] { (void)de::validate_event(e, {.max_depth = 5}); }), "accepted");
    EXPECT_EQ(refused_field([&] { (void)de::validate_event(e, {.max_depth = 4}); }), "data.deep[0][0]");
    const auto problems = de::envelope_problems(envelope_with(nested_arrays(hostile_depth)), {});
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].field().rfind("data.deep[0]", 0), 0u) << problems[0].what();
}

TEST(bounded_json, a_consumer_dead_letters_a_message_nested_too_deep_as_an_invalid_envelope) {
    const auto checked = de::detail::check_value(envelope_with(nested_arrays(hostile_depth)), {1 << 20, 64});
    ASSERT_FALSE(checked.parsed);
    ASSERT_TRUE(checked.problem);
    EXPECT_EQ(checked.problem->reason, de::dead_letter_reason::invalid_envelope);
    EXPECT_NE(checked.problem->text.find("data.deep[0]"), std::string::npos) << checked.problem->text;
    EXPECT_TRUE(de::detail::check_value(envelope_with(nested_arrays(62)), {1 << 20, 64}).parsed);
    EXPECT_FALSE(de::detail::check_value(envelope_with(nested_arrays(62)), {1 << 20, 10}).parsed);
    // Not JSON at all is still told apart from JSON nested too deep.
    EXPECT_EQ(de::detail::check_value(std::string(100, '['), {1 << 20, 200}).problem->reason,
              de::dead_letter_reason::not_json);
}

}  // namespace
