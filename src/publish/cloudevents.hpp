#pragma once
// Events as CloudEvents 1.0 (cloudevents_names.hpp has the attributes): written by the relay in
// structured mode, read by consumers in either mode. The envelope rules are checked afterwards,
// by `check_envelope_rules` as for every message. Internal; docs/interop.md, "Wire format".
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain_events/event.hpp"
#include "domain_events/publish/kafka_record.hpp"

namespace domain_events::detail {

/**
 * @brief Writes the CloudEvent of `f`, with `data_json` (a JSON object's text) as its `data`, in
 *        the JSON event format, into `out` (replacing what it held).
 * @throws nlohmann::json::type_error for a string that is not UTF-8.
 */
void write_structured_cloudevent(const record_fields& f, std::string_view data_json, std::string& out);

/** @brief The attributes a binary-mode message carries in its headers, as they came. */
struct binary_attributes {
    std::optional<std::string_view> specversion, id, source, type, time, subject, aggregatetype, aggregateversion,
        schemaversion, correlationid, causationid, traceparent, tracestate, content_type;
};

/** @brief Keeps a header if it is one of the attributes (`ce_` names exactly, `content-type` in any case); a later one wins. */
void note_binary_header(binary_attributes& attributes, std::string_view name, std::string_view value) noexcept;

/**
 * @brief The event of a binary-mode CloudEvent: attributes from its headers, `data` its value,
 *        nested no deeper than `max_depth` - 1 (the levels an envelope leaves its `data`).
 *        `traceparent`/`tracestate` are the distributed tracing extension's, read leniently.
 * @throws validation_error on the header at fault (`ce_aggregateversion`, `content-type`, ...):
 *         missing, not UTF-8, of the wrong form; on `data` for a value that is not JSON (that it
 *         is an object is `check_envelope_rules`' rule, checked afterwards as for every message).
 */
[[nodiscard]] event event_from_binary(const binary_attributes& attributes, std::string_view value, std::size_t max_depth);

/**
 * @brief The event of a structured-mode CloudEvent, `ce` its JSON (depth already bounded).
 * @throws validation_error on the attribute at fault: missing or of the wrong JSON type or
 *         form, `data_base64` or a `datacontenttype` that is not JSON.
 */
[[nodiscard]] event event_from_structured(nlohmann::json ce);

/**
 * @brief The CloudEvents attribute an envelope field comes from (`aggregate_version` ->
 *        `aggregateversion`, or `ce_aggregateversion` when `binary`), so that an envelope rule's
 *        error names what the producer wrote; the field itself when it has none.
 */
[[nodiscard]] std::string attribute_of_field(const std::string& field, bool binary);

}  // namespace domain_events::detail
