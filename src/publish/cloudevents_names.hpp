#pragma once
// The CloudEvents 1.0 attributes an event maps to, with the Kafka header each has in binary
// content mode (the Kafka protocol binding's `ce_` prefix): one table for the relay that writes
// them and the consumer that reads them. Internal; docs/interop.md lists the mapping.
#include <string_view>

namespace domain_events::detail::cloudevents {

/** @brief One attribute: its name (also its member in structured JSON) and its binary-mode header. */
struct attribute {
    std::string_view name;
    std::string_view header;
};

inline constexpr std::string_view spec_version = "1.0";
/** @brief `datacontenttype`: `data` is always a JSON object (binary mode: the `content-type` header). */
inline constexpr std::string_view data_content_type = "application/json";
/** @brief The structured mode's `content-type` (the binding's JSON event format). */
inline constexpr std::string_view structured_content_type = "application/cloudevents+json; charset=UTF-8";
/** @brief What a `content-type` starts with in structured mode (matched case-insensitively). */
inline constexpr std::string_view structured_media_prefix = "application/cloudevents";
inline constexpr std::string_view content_type_header = "content-type";

// Context attributes of the spec.
inline constexpr attribute specversion{"specversion", "ce_specversion"};
inline constexpr attribute id{"id", "ce_id"};                   // event_id
inline constexpr attribute source{"source", "ce_source"};       // metadata.source
inline constexpr attribute type{"type", "ce_type"};             // event_type
inline constexpr attribute time{"time", "ce_time"};             // timestamp
inline constexpr attribute subject{"subject", "ce_subject"};    // aggregate_id
inline constexpr std::string_view datacontenttype = "datacontenttype";
// Extension attributes: our envelope's other fields (names: lower-case a-z and 0-9, as the spec wants).
inline constexpr attribute aggregatetype{"aggregatetype", "ce_aggregatetype"};
inline constexpr attribute aggregateversion{"aggregateversion", "ce_aggregateversion"};  // an Integer
inline constexpr attribute schemaversion{"schemaversion", "ce_schemaversion"};           // metadata.version
inline constexpr attribute correlationid{"correlationid", "ce_correlationid"};
inline constexpr attribute causationid{"causationid", "ce_causationid"};
inline constexpr attribute partitionkey{"partitionkey", "ce_partitionkey"};  // the Kafka key: aggregate_id
// The distributed tracing extension (W3C Trace Context, as the plain headers carry it too).
inline constexpr attribute traceparent{"traceparent", "ce_traceparent"};
inline constexpr attribute tracestate{"tracestate", "ce_tracestate"};

}  // namespace domain_events::detail::cloudevents
