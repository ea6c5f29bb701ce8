#include "consume/message_check.hpp"

#include <algorithm>

#include "publish/cloudevents.hpp"
#include "publish/cloudevents_names.hpp"
#include "publish/envelope_reader.hpp"
#include "domain_events/error.hpp"
#include "domain_events/publish/trace_context.hpp"
#include "domain_events/publish/validation.hpp"

namespace domain_events::detail {
namespace {

bool same_ignoring_case(std::string_view a, std::string_view b) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// The headers a consumer reads, viewing the message's own (valid while it lives).
struct read_headers {
    binary_attributes cloudevent;
    std::optional<std::string_view> traceparent;
    std::string tracestate;  // several tracestate headers are one list (W3C)
    std::size_t attribute_bytes = 0;
};

read_headers headers_of_message(const rd_kafka_message_t& m) {
    read_headers found;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return found;
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        const std::string_view text(value != nullptr ? static_cast<const char*>(value) : "", value != nullptr ? size : 0);
        // W3C: the names in any case.
        if (same_ignoring_case(name, "traceparent")) {
            found.traceparent = text;
        } else if (same_ignoring_case(name, "tracestate")) {
            // Only what a valid list can hold is kept (trace_context::receive cuts it further).
            if (found.tracestate.size() < 64 * max_tracestate_chars) found.tracestate.append(found.tracestate.empty() ? "" : ",").append(text);
        } else {
            note_binary_header(found.cloudevent, name, text);
            if (std::string_view(name).starts_with("ce_")) found.attribute_bytes += text.size();
        }
    }
    return found;
}

envelope_format detected_format(const read_headers& h) {
    const auto& type = h.cloudevent.content_type;
    const auto prefix = cloudevents::structured_media_prefix;
    if (type && type->size() >= prefix.size() && same_ignoring_case(type->substr(0, prefix.size()), prefix)) {
        return envelope_format::cloudevents_structured;
    }
    return h.cloudevent.specversion ? envelope_format::cloudevents_binary : envelope_format::native;
}

checked_message refused(dead_letter_reason reason, std::string text) {
    return checked_message{std::nullopt, message_problem{reason, std::move(text)}};
}

checked_message too_large(std::string_view what, std::size_t size, const json_bounds& bounds) {
    return refused(dead_letter_reason::too_large, std::string(what) + ": " + std::to_string(size) +
                                                      " bytes, over the limit of " + std::to_string(bounds.max_bytes) +
                                                      " (validation.max_payload_bytes)");
}

bool is_version_field(const std::string& field) {
    return field == "metadata.version" || field == "specversion" || field == "ce_specversion";
}

// A CloudEvent, mapped to an event then checked by the envelope rules; errors name its attributes.
checked_message check_cloudevent(envelope_format format, const read_headers& h, std::string_view value,
                                 const json_bounds& bounds) {
    const bool binary = format == envelope_format::cloudevents_binary;
    if (value.size() > bounds.max_bytes) return too_large("value", value.size(), bounds);
    if (binary && h.attribute_bytes > bounds.max_bytes) return too_large("ce_ headers", h.attribute_bytes, bounds);
    std::optional<event> e;
    try {
        if (binary) {
            e = event_from_binary(h.cloudevent, value, bounds.max_depth);
        } else {
            check_json_depth(value, bounds.max_depth, "envelope");
            auto json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
            if (json.is_discarded()) {
                return refused(dead_letter_reason::not_json, "value: " + std::to_string(value.size()) + " bytes that are not JSON");
            }
            e = event_from_structured(std::move(json));
        }
    } catch (const validation_error& bad) {
        return refused(is_version_field(bad.field()) ? dead_letter_reason::unsupported_version
                                                      : dead_letter_reason::invalid_envelope,
                       bad.what());
    }
    try {
        check_envelope_rules(*e, bounds.max_depth);
    } catch (const validation_error& bad) {
        return refused(is_version_field(bad.field()) ? dead_letter_reason::unsupported_version
                                                      : dead_letter_reason::invalid_envelope,
                       attribute_of_field(bad.field(), binary) + " (" + bad.what() + ")");
    }
    return {std::move(e), std::nullopt};
}

}  // namespace

checked_message check_value(std::string_view value, const json_bounds& bounds) {
    if (value.size() > bounds.max_bytes) return too_large("value", value.size(), bounds);
    try {
        auto e = read_envelope(value, bounds.max_depth);
        if (!e) {  // not a well-formed envelope: the tree names what is wrong, once its depth is known safe
            check_json_depth(value, bounds.max_depth, "envelope");
            const auto json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
            if (json.is_discarded()) {
                return refused(dead_letter_reason::not_json, "value: " + std::to_string(value.size()) + " bytes that are not JSON");
            }
            e = event_from_json(json, bounds.max_depth);
        }
        check_envelope_rules(*e, bounds.max_depth);
        return {std::move(*e), std::nullopt};
    } catch (const validation_error& bad) {
        return refused(bad.field() == "metadata.version" ? dead_letter_reason::unsupported_version
                                                         : dead_letter_reason::invalid_envelope,
                       bad.what());
    }
}

envelope_format format_of(const rd_kafka_message_t& m) { return detected_format(headers_of_message(m)); }

checked_message check_message(const rd_kafka_message_t& m, const json_bounds& bounds) {
    const std::string_view value(static_cast<const char*>(m.payload), m.payload != nullptr ? m.len : 0);
    const auto h = headers_of_message(m);
    const auto format = detected_format(h);
    auto checked = format == envelope_format::native ? check_value(value, bounds) : check_cloudevent(format, h, value, bounds);
    if (checked.parsed && h.traceparent) {
        if (const auto trace = trace_context::receive(*h.traceparent, h.tracestate)) {
            auto& metadata = checked.parsed->metadata;
            metadata.traceparent = trace->traceparent();
            metadata.tracestate = trace->tracestate().empty() ? std::nullopt : std::optional(trace->tracestate());
        }
    }
    return checked;
}

}  // namespace domain_events::detail
