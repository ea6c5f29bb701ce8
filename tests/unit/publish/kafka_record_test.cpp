// The record an event becomes: the headers the relay sends in each format, and its size as
// Kafka counts it.
#include <gtest/gtest.h>

#include <domain_events/publish/kafka_record.hpp>

#include <map>
#include <string>
#include <vector>

namespace de = domain_events;

namespace {

std::vector<std::string> names_of(const de::event_headers& headers) {
    std::vector<std::string> names;
    for (const auto& h : headers.all()) names.emplace_back(h.name);
    return names;
}

std::map<std::string, std::string> values_of(const de::event_headers& headers) {
    std::map<std::string, std::string> values;
    for (const auto& h : headers.all()) values.emplace(h.name, h.value);
    return values;
}

de::record_fields fields() {
    return {.event_id = "0190f0b8-6a2c-7000-8000-000000000001", .event_type = "patient.created",
            .timestamp = "2026-01-02T03:04:05.678Z", .source = "healthcore-api", .aggregate_type = "patient",
            .aggregate_id = "p-1", .aggregate_version = "4", .schema_version = "1.0"};
}

constexpr std::string_view traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(kafka_record, native_headers_are_the_documented_four_then_correlation_and_trace_when_set) {
    auto f = fields();
    EXPECT_EQ(names_of(de::headers_of(f)),
              (std::vector<std::string>{"event_id", "event_type", "content-type", "schema-version"}));
    EXPECT_EQ(values_of(de::headers_of(f))["content-type"], "application/json");
    f.correlation_id = "req-7";
    f.traceparent = traceparent;
    f.tracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    const auto with = de::headers_of(f);
    EXPECT_EQ(names_of(with), (std::vector<std::string>{"event_id", "event_type", "content-type", "schema-version",
                                                        "correlation_id", "traceparent", "tracestate"}));
    EXPECT_EQ(values_of(with)["traceparent"], traceparent);
    EXPECT_EQ(values_of(with)["tracestate"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(kafka_record, binary_cloudevents_headers_carry_every_attribute_with_the_ce_prefix) {
    auto f = fields();
    f.causation_id = "cause-1";
    f.traceparent = traceparent;
    const auto headers = de::headers_of(f, de::envelope_format::cloudevents_binary);
    EXPECT_EQ(names_of(headers),
              (std::vector<std::string>{"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
                                        "content-type", "ce_aggregatetype", "ce_aggregateversion", "ce_schemaversion",
                                        "ce_partitionkey", "ce_causationid", "ce_traceparent", "traceparent"}));
    const auto values = values_of(headers);
    EXPECT_EQ(values.at("ce_specversion"), "1.0");
    EXPECT_EQ(values.at("ce_id"), f.event_id);
    EXPECT_EQ(values.at("ce_source"), "healthcore-api");
    EXPECT_EQ(values.at("ce_type"), "patient.created");
    EXPECT_EQ(values.at("ce_time"), "2026-01-02T03:04:05.678Z");
    EXPECT_EQ(values.at("ce_subject"), "p-1");
    EXPECT_EQ(values.at("ce_partitionkey"), "p-1");
    EXPECT_EQ(values.at("content-type"), "application/json");
    EXPECT_EQ(values.at("ce_aggregateversion"), "4");
    EXPECT_EQ(values.at("ce_traceparent"), values.at("traceparent"));
}

TEST(kafka_record, structured_cloudevents_headers_are_the_content_type_and_the_trace) {
    auto f = fields();
    EXPECT_EQ(names_of(de::headers_of(f, de::envelope_format::cloudevents_structured)),
              (std::vector<std::string>{"content-type"}));
    f.traceparent = traceparent;
    const auto headers = de::headers_of(f, de::envelope_format::cloudevents_structured);
    EXPECT_EQ(names_of(headers), (std::vector<std::string>{"content-type", "traceparent"}));
    EXPECT_EQ(values_of(headers)["content-type"], "application/cloudevents+json; charset=UTF-8");
}

TEST(kafka_record, the_size_counts_key_value_headers_and_framing_in_each_format) {
    const de::record_header one[] = {{"ab", "cde"}};
    EXPECT_EQ(de::kafka_record_bytes("key", "value", {}), de::record_framing_bytes + 8);
    EXPECT_EQ(de::kafka_record_bytes("key", "value", one), de::record_framing_bytes + 8 + de::header_framing_bytes + 5);
    auto e = de::make_event("patient.created", "patient", "p-1", 1, {{"name", "Ada"}});
    e.metadata.correlation_id = "req-7";
    e.metadata.traceparent = traceparent;
    const auto envelope = de::serialize(e);
    de::record_fields f{.event_id = e.event_id, .event_type = e.event_type, .schema_version = e.metadata.version,
                        .correlation_id = "req-7", .traceparent = traceparent};
    const auto native = de::kafka_record_bytes("p-1", envelope, de::headers_of(f).all());
    EXPECT_EQ(de::kafka_record_bytes(e, envelope), native);
    // Binary mode sends `data` alone with a header per attribute.
    f.timestamp = de::format_timestamp(e.timestamp);
    f.source = e.metadata.source;
    f.aggregate_type = "patient";
    f.aggregate_id = "p-1";
    f.aggregate_version = "1";
    EXPECT_EQ(de::kafka_record_bytes(e, envelope, de::envelope_format::cloudevents_binary),
              de::kafka_record_bytes("p-1", R"({"name":"Ada"})",
                                     de::headers_of(f, de::envelope_format::cloudevents_binary).all()));
}

}  // namespace
