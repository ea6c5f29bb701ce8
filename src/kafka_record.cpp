#include "domain_events/kafka_record.hpp"

namespace domain_events {

event_headers headers_of(std::string_view event_id, std::string_view event_type, std::string_view schema_version,
                         std::optional<std::string_view> correlation_id) noexcept {
    event_headers h;
    h.items = {record_header{"event_id", event_id}, record_header{"event_type", event_type},
               record_header{"content-type", "application/json"}, record_header{"schema-version", schema_version},
               record_header{"correlation_id", correlation_id.value_or("")}};
    h.count = correlation_id ? 5 : 4;
    return h;
}

std::size_t kafka_record_bytes(std::string_view key, std::string_view value,
                               std::span<const record_header> headers) noexcept {
    std::size_t bytes = record_framing_bytes + key.size() + value.size();
    for (const auto& h : headers) bytes += header_framing_bytes + h.name.size() + h.value.size();
    return bytes;
}

std::size_t kafka_record_bytes(const event& e, std::string_view serialized) noexcept {
    const auto& correlation = e.metadata.correlation_id;
    const auto headers = headers_of(e.event_id, e.event_type, e.metadata.version,
                                    correlation ? std::optional<std::string_view>(*correlation) : std::nullopt);
    return kafka_record_bytes(e.aggregate_id, serialized, headers.all());
}

}  // namespace domain_events
