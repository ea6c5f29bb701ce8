// The CloudEvents mapping both ways, without Kafka: an event written as a structured CloudEvent
// or as binary-mode headers reads back as the same event, and what another producer's CloudEvent
// gets wrong is refused naming the attribute (or header) at fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/publish/kafka_record.hpp>

#include <string>

#include "publish/cloudevents.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;

namespace {

// An event with every optional field, and the text its record fields borrow.
struct written_event {
    de::event e = [] {
        auto made = de::make_event("order.placed", "order", "o-1", 3, {{"total", 12}, {"note", "caf\u00e9 \"x\""}});
        made.metadata.correlation_id = "checkout-7";
        made.metadata.causation_id = "cmd-1";
        made.metadata.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        made.metadata.tracestate = "rojo=1";
        return made;
    }();
    std::string timestamp = de::format_timestamp(e.timestamp);
    std::string version = std::to_string(e.aggregate_version);

    [[nodiscard]] de::record_fields fields() const {
        const auto view = [](const std::optional<std::string>& text) {
            return text ? std::optional<std::string_view>(*text) : std::nullopt;
        };
        return {.event_id = e.event_id, .event_type = e.event_type, .timestamp = timestamp, .source = e.metadata.source,
                .aggregate_type = e.aggregate_type, .aggregate_id = e.aggregate_id, .aggregate_version = version,
                .schema_version = e.metadata.version, .correlation_id = view(e.metadata.correlation_id),
                .causation_id = view(e.metadata.causation_id), .traceparent = view(e.metadata.traceparent),
                .tracestate = view(e.metadata.tracestate)};
    }
    [[nodiscard]] std::string structured() const {
        std::string out;
        de::detail::write_structured_cloudevent(fields(), e.data.dump(), out);
        return out;
    }
    [[nodiscard]] de::event_headers binary_headers() const {
        return de::headers_of(fields(), de::envelope_format::cloudevents_binary);
    }
};

de::detail::binary_attributes binary_of(const de::event_headers& headers) {
    de::detail::binary_attributes a;
    for (const auto& h : headers.all()) de::detail::note_binary_header(a, h.name, h.value);
    return a;
}

// The error's "field: message", or "accepted".
template <typename Read>
std::string refusal(Read read) {
    try {
        static_cast<void>(read());
        return "accepted";
    } catch (const de::validation_error& e) {
        return e.what();
    }
}

TEST(cloudevents_mapping, a_structured_cloudevent_reads_back_as_the_event_it_was_written_from) {
    const written_event w;
    const auto ce = nlohmann::json::parse(w.structured());
    EXPECT_EQ(ce.at("aggregateversion"), 3) << "an Integer extension, not a string";
    EXPECT_EQ(ce.at("partitionkey"), "o-1");
    EXPECT_EQ(de::detail::event_from_structured(ce), w.e);
}

TEST(cloudevents_mapping, binary_headers_and_the_data_read_back_as_the_event_they_were_written_from) {
    const written_event w;
    EXPECT_EQ(de::detail::event_from_binary(binary_of(w.binary_headers()), w.e.data.dump(), 64), w.e);
}

TEST(cloudevents_mapping, another_producers_binary_cloudevent_is_refused_naming_the_header_at_fault) {
    const written_event w;
    const auto headers = w.binary_headers();
    const auto with = [&](std::string_view name, std::string_view value, std::string_view data = R"({"total":1})") {
        auto a = binary_of(headers);
        de::detail::note_binary_header(a, name, value);
        return refusal([&, a] { return de::detail::event_from_binary(a, data, 64); });
    };
    EXPECT_EQ(with("ce_subject", "o-9"), "accepted");
    EXPECT_EQ(with("Content-Type", "application/json; charset=utf-8"), "accepted") << "content-type in any case";
    EXPECT_THAT(with("ce_specversion", "0.3"), HasSubstr("ce_specversion: '0.3': this build reads CloudEvents 1.0"));
    EXPECT_THAT(with("content-type", "text/plain"), HasSubstr("content-type: 'text/plain' is not JSON"));
    EXPECT_THAT(with("ce_aggregateversion", "3.5"), HasSubstr("ce_aggregateversion: '3.5' is not a decimal integer"));
    EXPECT_THAT(with("ce_id", "42"), HasSubstr("not a UUID"));
    EXPECT_THAT(with("ce_time", "yesterday"), HasSubstr("ce_time"));
    EXPECT_EQ(with("ce_subject", "o-9", "[1,2]"), "accepted") << "an object is check_envelope_rules' rule, checked after";
    EXPECT_THAT(with("ce_subject", "o-9", "{not json"), HasSubstr("data"));
    auto missing = binary_of(headers);
    missing.source.reset();
    EXPECT_THAT(refusal([&] { return de::detail::event_from_binary(missing, "{}", 64); }), HasSubstr("ce_source: is missing"));
    auto upper = de::detail::binary_attributes{};
    de::detail::note_binary_header(upper, "CE_ID", "x");
    EXPECT_FALSE(upper.id) << "ce_ names are matched exactly, as the binding writes them";
}

TEST(cloudevents_mapping, a_received_cloudevents_trace_is_read_leniently_and_never_refuses_the_event) {
    const written_event w;
    auto a = binary_of(w.binary_headers());
    a.traceparent = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    const auto read = de::detail::event_from_binary(a, "{}", 64);
    EXPECT_FALSE(read.metadata.traceparent) << "an invalid traceparent restarts the trace";
    EXPECT_FALSE(read.metadata.tracestate);
}

TEST(cloudevents_mapping, another_producers_structured_cloudevent_is_refused_naming_the_attribute_at_fault) {
    const auto valid = nlohmann::json::parse(written_event{}.structured());
    const auto with = [&](const std::string& name, const nlohmann::json& value) {
        auto ce = valid;
        if (value.is_discarded()) ce.erase(name);
        else ce[name] = value;
        return refusal([&] { return de::detail::event_from_structured(ce); });
    };
    const auto gone = nlohmann::json(nlohmann::json::value_t::discarded);
    EXPECT_EQ(with("aggregateversion", "3"), "accepted") << "a string extension, as some SDKs write them";
    EXPECT_EQ(with("datacontenttype", gone), "accepted") << "JSON is the default";
    EXPECT_THAT(with("aggregateversion", 1.5), HasSubstr("aggregateversion: expected an integer, got number"));
    EXPECT_THAT(with("aggregateversion", gone), HasSubstr("aggregateversion: is missing"));
    EXPECT_THAT(with("specversion", "0.3"), HasSubstr("specversion: '0.3'"));
    EXPECT_THAT(with("datacontenttype", "application/xml"), HasSubstr("datacontenttype: 'application/xml' is not JSON"));
    EXPECT_THAT(with("data_base64", "AAEC"), HasSubstr("data_base64: binary data is not an event's data"));
    EXPECT_THAT(with("data", gone), HasSubstr("data: is missing"));
    EXPECT_THAT(with("subject", 7), HasSubstr("subject"));
    EXPECT_THAT(refusal([] { return de::detail::event_from_structured(nlohmann::json::array()); }),
                HasSubstr("a CloudEvent is a JSON object, got array"));
}

}  // namespace
