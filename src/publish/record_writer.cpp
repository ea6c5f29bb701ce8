#include "publish/record_writer.hpp"

#include "publish/cloudevents.hpp"
#include "domain_events/error.hpp"
#include "publish/envelope_text.hpp"

namespace domain_events::detail {

const kafka_record& record_writer::write(const outbox_message& row) {
    record_.key = row.aggregate_id;
    if (format_ == envelope_format::native) {
        record_fields f;
        f.event_id = row.event_id;
        f.event_type = row.event_type;
        f.schema_version = row.schema_version;
        f.correlation_id = row.correlation_id;
        f.traceparent = row.traceparent;
        f.tracestate = row.tracestate;
        record_.value = row.payload;
        record_.headers = headers_of(f, format_);
        return record_;
    }
    decoded_.clear();
    auto scanned = scan_envelope(row.payload, decoded_);
    if (!scanned) {
        throw validation_error("payload", "the outbox row at position " + std::to_string(row.position) +
                                              " does not hold an envelope; it cannot be sent as a CloudEvent");
    }
    scanned->fields.traceparent = row.traceparent;
    scanned->fields.tracestate = row.tracestate;
    if (format_ == envelope_format::cloudevents_binary) {
        record_.value = scanned->data;
    } else {
        write_structured_cloudevent(scanned->fields, scanned->data, structured_);
        record_.value = structured_;
    }
    record_.headers = headers_of(scanned->fields, format_);
    return record_;
}

outbox_message row_of(const event& e, std::string_view serialized) noexcept {
    const auto& m = e.metadata;
    const auto view = [](const std::optional<std::string>& text) {
        return text ? std::optional<std::string_view>(*text) : std::nullopt;
    };
    outbox_message row;
    row.event_id = e.event_id;
    row.event_type = e.event_type;
    row.aggregate_type = e.aggregate_type;
    row.aggregate_id = e.aggregate_id;
    row.correlation_id = view(m.correlation_id);
    row.schema_version = m.version;
    row.payload = serialized;
    row.traceparent = view(m.traceparent);
    row.tracestate = view(m.tracestate);
    return row;
}

}  // namespace domain_events::detail
