#include "domain_events/publish/kafka_record.hpp"

#include "publish/cloudevents_names.hpp"
#include "publish/record_writer.hpp"

namespace domain_events {
namespace ce = detail::cloudevents;

event_headers headers_of(const record_fields& f, envelope_format format) noexcept {
    event_headers h;
    const auto add_if = [&h](std::string_view name, std::optional<std::string_view> value) {
        if (value) h.add(name, *value);
    };
    switch (format) {
    case envelope_format::cloudevents_binary:
        h.add(ce::specversion.header, ce::spec_version);
        h.add(ce::id.header, f.event_id);
        h.add(ce::source.header, f.source);
        h.add(ce::type.header, f.event_type);
        h.add(ce::time.header, f.timestamp);
        h.add(ce::subject.header, f.aggregate_id);
        h.add(ce::content_type_header, ce::data_content_type);
        h.add(ce::aggregatetype.header, f.aggregate_type);
        h.add(ce::aggregateversion.header, f.aggregate_version);
        h.add(ce::schemaversion.header, f.schema_version);
        h.add(ce::partitionkey.header, f.aggregate_id);
        add_if(ce::correlationid.header, f.correlation_id);
        add_if(ce::causationid.header, f.causation_id);
        add_if(ce::traceparent.header, f.traceparent);
        add_if(ce::tracestate.header, f.tracestate);
        break;
    case envelope_format::cloudevents_structured:
        h.add(ce::content_type_header, ce::structured_content_type);
        break;
    default:
        h.add("event_id", f.event_id);
        h.add("event_type", f.event_type);
        h.add(ce::content_type_header, "application/json");
        h.add("schema-version", f.schema_version);
        add_if("correlation_id", f.correlation_id);
        break;
    }
    // In every format, as W3C Trace Context and OpenTelemetry's messaging conventions name them.
    add_if("traceparent", f.traceparent);
    add_if("tracestate", f.tracestate);
    return h;
}

std::size_t kafka_record_bytes(std::string_view key, std::string_view value,
                               std::span<const record_header> headers) noexcept {
    std::size_t bytes = record_framing_bytes + key.size() + value.size();
    for (const auto& h : headers) bytes += header_framing_bytes + h.name.size() + h.value.size();
    return bytes;
}

std::size_t kafka_record_bytes(const event& e, std::string_view serialized, envelope_format format) {
    detail::record_writer writer(format);
    const auto& record = writer.write(detail::row_of(e, serialized));
    return kafka_record_bytes(record.key, record.value, record.headers.all());
}

}  // namespace domain_events
