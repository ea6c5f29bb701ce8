#include "kafka/topic_admin_parts.hpp"

#include <algorithm>
#include <charconv>

#include "domain_events/error.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "kafka/kafka_conf.hpp"

namespace domain_events::detail::admin {

// Old brokers answer an API they lack with UNSUPPORTED_VERSION; librdkafka refuses locally with
// UNSUPPORTED_FEATURE when the broker's ApiVersions lack it.
bool no_admin_api(rd_kafka_resp_err_t err) noexcept {
    return err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION;
}

std::optional<std::string> entry(const described_configs& configs, std::string_view resource, std::string_view name) {
    const auto found = configs.find(resource);
    if (found == configs.end()) return std::nullopt;
    const auto value = found->second.find(name);
    return value == found->second.end() ? std::nullopt : std::optional(value->second);
}

// A decimal number below `floor` (a value that does not parse is left to the broker).
bool below(const std::optional<std::string>& value, std::size_t floor) {
    if (!value) return false;
    std::size_t number = 0;
    const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), number);
    return error == std::errc{} && end == value->data() + value->size() && number < floor;
}

[[noreturn]] void fail(const std::vector<failure>& failures) {
    if (failures.size() == 1) {
        const auto& f = failures.front();
        throw publish_error("ensuring topic '" + f.topic + "': " + f.what, f.err);
    }
    std::string message = "ensuring topics failed for " + std::to_string(failures.size()) + " of them:";
    for (const auto& f : failures) message += "\n  '" + f.topic + "': " + f.what;
    throw publish_error(message, failures.front().err);
}

std::string error_text(rd_kafka_resp_err_t err, const char* broker_message) {
    auto text = detail::kafka_error_text(err);
    if (broker_message != nullptr && *broker_message != '\0') text += ": " + std::string(broker_message);
    return text;
}

std::string replicas_text(const existing_topic& have) {
    return have.min_replicas == have.max_replicas
               ? std::to_string(have.min_replicas)
               : std::to_string(have.min_replicas) + ".." + std::to_string(have.max_replicas);
}

// Each setting that was asked for and is not what the cluster has; empty when all match.
std::string differences(const topic_settings& want, const existing_topic& have,
                        const std::optional<std::string>& have_retention,
                        const std::optional<std::string>& have_max_message, std::size_t max_record_bytes) {
    std::string out;
    const auto add = [&](std::string_view setting, const std::string& wanted, const std::string& found) {
        out += (out.empty() ? "" : "; ") + std::string(setting) + ": want " + wanted + ", have " + found;
    };
    if (want.partitions != have.partitions) {
        add("partitions", std::to_string(want.partitions), std::to_string(have.partitions));
    }
    if (want.replication_factor != -1 &&
        (have.min_replicas != want.replication_factor || have.max_replicas != want.replication_factor)) {
        add("replication_factor", std::to_string(want.replication_factor), replicas_text(have));
    }
    if (want.retention_ms != 0 && have_retention != std::to_string(want.retention_ms)) {
        add("retention.ms", std::to_string(want.retention_ms), have_retention.value_or("(not reported)"));
    }
    if (below(have_max_message, max_record_bytes)) {
        // The broker would refuse an event validation accepts: raise the topic's limit, or lower ours.
        add("max.message.bytes", "at least " + std::to_string(max_record_bytes) + " (DOMAIN_EVENTS_MAX_PAYLOAD_BYTES)",
            *have_max_message);
    }
    return out;
}

void check_spec(const topic_spec& spec, const std::string& field) {
    validate_topic_name(spec.name, field + ".name");
    const auto& s = spec.settings;
    const auto value = [&](auto number) { return std::to_string(number) + " (topic '" + spec.name + "') "; };
    if (s.partitions < 1) throw validation_error(field + ".settings.partitions", value(s.partitions) + "must be >= 1");
    if (s.replication_factor < -1 || s.replication_factor == 0) {
        throw validation_error(field + ".settings.replication_factor",
                               value(s.replication_factor) + "must be -1 (the broker's default) or >= 1");
    }
    if (s.retention_ms < -1) {
        throw validation_error(field + ".settings.retention_ms",
                               value(s.retention_ms) + "must be >= -1 (-1: forever, 0: the broker's default)");
    }
}

// The CreateTopics entry for a checked spec; librdkafka's own range checks (e.g. at most 100000
// partitions) are reported as the spec's fault, still before any request.
new_topic make_new_topic(const topic_spec& spec, const std::string& field, std::size_t max_record_bytes) {
    char reason[512];
    new_topic topic(rd_kafka_NewTopic_new(spec.name.c_str(), spec.settings.partitions,
                                          spec.settings.replication_factor, reason, sizeof reason));
    if (!topic) throw validation_error(field + ".settings", "topic '" + spec.name + "': " + reason);
    if (spec.settings.retention_ms != 0) {
        const auto retention = std::to_string(spec.settings.retention_ms);
        if (const auto err = rd_kafka_NewTopic_set_config(topic.get(), "retention.ms", retention.c_str())) {
            throw validation_error(field + ".settings.retention_ms",
                                   retention + " (topic '" + spec.name + "'): " + detail::kafka_error_text(err));
        }
    }
    // Whatever the broker's default: every event validation accepts fits (docs/interop.md).
    const auto max_message = std::to_string(max_record_bytes);
    if (const auto err = rd_kafka_NewTopic_set_config(topic.get(), "max.message.bytes", max_message.c_str())) {
        throw validation_error("validation.max_payload_bytes",
                               max_message + " (topic '" + spec.name + "'): " + detail::kafka_error_text(err));
    }
    return topic;
}

// Everything that needs no request, so a bad spec is refused before any.
batch prepare(std::span<const topic_spec> specs, bool indexed, std::size_t max_record_bytes) {
    batch work;
    work.specs = specs;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto field = indexed ? "topic_specs[" + std::to_string(i) + "]" : std::string("topic_spec");
        check_spec(specs[i], field);
        if (!work.names.insert(specs[i].name).second) {
            throw validation_error(field + ".name", "topic '" + specs[i].name + "' is given twice");
        }
        work.new_topics.push_back(make_new_topic(specs[i], field, max_record_bytes));
        work.reports.push_back({specs[i].name, topic_outcome::unsupported, {}});
    }
    return work;
}

}  // namespace domain_events::detail::admin
