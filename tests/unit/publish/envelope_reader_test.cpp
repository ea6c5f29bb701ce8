// The tree-less envelope reader (src/envelope_reader) must agree with event_from_json on a parsed
// tree for every text it accepts, and hand every text it cannot read cheaply back to it, so that
// parse_event and the consumer's check answer exactly as they did with a tree for everything.
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/event.hpp>

#include <string>

#include "publish/envelope_reader.hpp"

namespace de = domain_events;

namespace {

constexpr const char* id = "01934b7e-6c2a-7d3e-9f10-0123456789ab";
constexpr const char* data_member =
    R"("data":{"name":"John Doe","tags":[1,-2,3.5,true,null,{"a":[]}],"nested":{"x":{"y":"z"}}})";
constexpr const char* metadata_member = R"("metadata":{"source":"api","version":"1.0"})";

/** A well-formed envelope; `extra` members are appended at its end. */
std::string envelope(const std::string& extra = "") {
    return std::string(R"({"event_id":")") + id +
           R"(","event_type":"patient.created","timestamp":"2026-11-23T10:00:00.123Z",)"
           R"("aggregate_type":"patient","aggregate_id":"42","aggregate_version":3,)" +
           data_member + "," + metadata_member + extra + "}";
}

/** `envelope(extra)` with its first `from` replaced by `to`. */
std::string edited(const std::string& from, const std::string& to, const std::string& extra = "") {
    auto text = envelope(extra);
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::logic_error("test: no '" + from + "' in the envelope");
    return text.replace(at, from.size(), to);
}

template <typename Read>
std::string outcome(Read read) {
    try {
        return de::serialize(read());
    } catch (const de::validation_error& e) {
        return std::string("refused: ") + e.what();
    } catch (const nlohmann::json::exception& e) {
        return std::string("not json: ") + e.what();
    }
}

// What reading `text` through a tree gives: the event's text, or the error's.
std::string through_tree(const std::string& text) {
    return outcome([&] { return de::event_from_json(nlohmann::json::parse(text)); });
}

std::string through_parse_event(const std::string& text) {
    return outcome([&] { return de::parse_event(text); });
}

// What the reader gives: the event's text, "declined" (nullopt), or the error's.
std::string through_reader(const std::string& text) {
    try {
        const auto e = de::detail::read_envelope(text);
        return e ? de::serialize(*e) : "declined";
    } catch (const de::validation_error& e) {
        return std::string("refused: ") + e.what();
    }
}

}  // namespace

TEST(envelope_reader, reads_a_well_formed_envelope_as_the_tree_does) {
    for (const auto& text : {
             envelope(),
             envelope(R"(,"extra":{"deep":[{"a":1},[2,[3]]]},"more":[{"x":null}],"flag":false,"n":-1,"s":"t")"),
             edited(metadata_member,
                    R"("metadata":{"source":"api","version":"1.0","correlation_id":"req-7","causation_id":null,"o":{"k":[1]}})"),
             edited(metadata_member, R"("metadata":{"correlation_id":null,"causation_id":"ev-1","version":"1.0","source":"api"})"),
             edited(R"({"event_id")", R"({"ignored":1.5,"event_id")"),
             edited(R"("aggregate_version":3)", R"("aggregate_version":9223372036854775807)"),
             edited(R"("aggregate_version":3)", R"("aggregate_version":-7)"),
             edited(data_member, R"("data":{"dup":1,"dup":{"k":"v"}})"),
             edited(data_member, R"("data":{})"),
             " \n" + envelope() + "\t ",
         }) {
        const auto read = through_reader(text);
        EXPECT_NE(read, "declined") << text;
        EXPECT_EQ(read, through_tree(text)) << text;
        EXPECT_EQ(through_parse_event(text), read) << text;
    }
}

TEST(envelope_reader, keeps_the_last_value_of_a_key_repeated_in_data_as_the_tree_does) {
    const auto e = de::detail::read_envelope(edited(data_member, R"("data":{"dup":1,"dup":{"k":["v"]}})"));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->data, (nlohmann::json{{"dup", {{"k", {"v"}}}}}));
}

TEST(envelope_reader, refuses_a_bad_event_id_or_timestamp_with_the_trees_message) {
    for (const auto& text : {edited(id, "not-a-uuid"), edited("10:00:00.123Z", "10:00:00.123+01:00"),
                             edited("2026-11-23T", "2026-02-30T")}) {
        const auto read = through_reader(text);
        EXPECT_TRUE(read.starts_with("refused: ")) << read;
        EXPECT_EQ(read, through_tree(text));
        EXPECT_EQ(through_parse_event(text), read);
    }
}

TEST(envelope_reader, declines_what_the_tree_must_name_and_parse_event_names_it) {
    for (const auto& text : {
             edited(R"("event_type":"patient.created",)", ""),
             edited(R"("timestamp":"2026-11-23T10:00:00.123Z",)", ""),
             edited(R"("aggregate_id":"42",)", ""),
             edited(R"("aggregate_version":3,)", ""),
             edited(std::string(data_member) + ",", ""),
             edited(R"("source":"api",)", ""),
             edited(R"(,"version":"1.0")", ""),
             edited(R"("aggregate_version":3)", R"("aggregate_version":"3")"),
             edited(R"("aggregate_version":3)", R"("aggregate_version":3.0)"),
             edited(R"("aggregate_version":3)", R"("aggregate_version":9223372036854775808)"),
             edited(R"("aggregate_id":"42")", R"("aggregate_id":42)"),
             edited(R"("aggregate_id":"42")", R"("aggregate_id":null)"),
             edited(R"("event_type":"patient.created")", R"("event_type":["patient.created"])"),
             edited(R"("event_type":"patient.created")", R"("event_type":{"a":1})"),
             edited(R"("event_type":"patient.created")", R"("event_type":true)"),
             edited(data_member, R"("data":[{}])"),
             edited(data_member, R"("data":null)"),
             edited(R"("source":"api")", R"("source":{"a":"b"})"),
             edited(R"("version":"1.0")", R"("version":1)"),
             edited(R"("version":"1.0")", R"("version":null)"),
             edited(metadata_member, R"("metadata":{"source":"api","version":"1.0","correlation_id":7})"),
             edited(metadata_member, R"("metadata":"none")"),
             // repeated members: the tree keeps the last, the reader leaves that to it
             envelope(R"(,"event_type":"patient.updated")"),
             envelope(R"(,"data":{"a":1})"),
             edited(metadata_member, R"("metadata":{"source":"api","version":"1.0","source":"again"})"),
             "[" + envelope() + "]",
             std::string("5"),
             std::string("\"text\""),
             std::string("{}"),
         }) {
        EXPECT_EQ(through_reader(text), "declined") << text;
        EXPECT_EQ(through_parse_event(text), through_tree(text)) << text;
    }
}

TEST(envelope_reader, declines_text_that_is_not_json) {
    const auto whole = envelope();
    for (const auto& text : {whole + "x", whole.substr(0, whole.size() - 1), edited(R"("aggregate_version":3)",
                                                                                   R"("aggregate_version":1e999)"),
                             std::string("\xff\xfe"), std::string()}) {
        EXPECT_EQ(through_reader(text), "declined") << text;
        EXPECT_TRUE(through_parse_event(text).starts_with("refused: envelope: not valid JSON")) << text;
    }
}

TEST(envelope_reader, parse_event_still_names_an_ill_typed_field) {
    EXPECT_EQ(through_parse_event(edited(R"("aggregate_version":3)", R"("aggregate_version":"3")")),
              R"(refused: aggregate_version: expected an integer, got "3")");
}
