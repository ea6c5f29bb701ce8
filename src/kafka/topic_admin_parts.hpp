#pragma once
// The pieces of topic_admin that need no client: librdkafka Admin API handles, what a look-up
// found, the checks of a spec and its CreateTopics entry, and how a topic differs. Internal.
#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain_events/kafka/topic_admin.hpp"

namespace domain_events::detail::admin {

struct admin_options_deleter { void operator()(rd_kafka_AdminOptions_t* o) const noexcept { rd_kafka_AdminOptions_destroy(o); } };
struct new_topic_deleter { void operator()(rd_kafka_NewTopic_t* t) const noexcept { rd_kafka_NewTopic_destroy(t); } };
struct config_resource_deleter {
    void operator()(rd_kafka_ConfigResource_t* r) const noexcept { rd_kafka_ConfigResource_destroy(r); }
};
struct queue_deleter { void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); } };
struct event_deleter { void operator()(rd_kafka_event_t* e) const noexcept { rd_kafka_event_destroy(e); } };
struct metadata_deleter {
    void operator()(const rd_kafka_metadata_t* m) const noexcept { rd_kafka_metadata_destroy(m); }
};

using admin_options = std::unique_ptr<rd_kafka_AdminOptions_t, admin_options_deleter>;
using new_topic = std::unique_ptr<rd_kafka_NewTopic_t, new_topic_deleter>;
using config_resource = std::unique_ptr<rd_kafka_ConfigResource_t, config_resource_deleter>;
using queue = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
using admin_event = std::unique_ptr<rd_kafka_event_t, event_deleter>;
using metadata = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;

// A topic as the cluster's metadata shows it.
struct existing_topic {
    int partitions = 0;
    int min_replicas = 0;  // replication factor: the fewest and most replicas of any partition
    int max_replicas = 0;
};

struct cluster_view {
    bool admin_api = false;
    std::map<std::string, existing_topic, std::less<>> topics;  // only those asked about
    std::vector<std::string> brokers;                           // their ids
};

// Per topic or broker: the values of the configuration entries asked for that it reports.
using described_configs = std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>;

// What went wrong for one topic, gathered so one publish_error names every topic that failed.
struct failure {
    std::string topic;
    std::string what;
    rd_kafka_resp_err_t err;
};

// One ensure() call: the specs, what is known about them so far, and what went wrong.
struct batch {
    std::span<const topic_spec> specs;
    std::vector<new_topic> new_topics;          // parallel to specs
    std::set<std::string, std::less<>> names;
    std::vector<topic_report> reports;          // parallel to specs; unsupported until found otherwise
    std::vector<std::size_t> to_compare;        // indexes of topics that exist
    std::vector<failure> failures;
};

// Old brokers answer an API they lack with UNSUPPORTED_VERSION; librdkafka refuses locally with
// UNSUPPORTED_FEATURE when the broker's ApiVersions lack it.
bool no_admin_api(rd_kafka_resp_err_t err) noexcept;

// The value of configuration entry `name` of `resource`, when the cluster reported it.
std::optional<std::string> entry(const described_configs& configs, std::string_view resource, std::string_view name);

// A decimal number below `floor` (a value that does not parse is left to the broker).
bool below(const std::optional<std::string>& value, std::size_t floor);

// Throws one publish_error naming every topic of `failures` and what went wrong for it.
[[noreturn]] void fail(const std::vector<failure>& failures);

// librdkafka's text for `err`, with the broker's message when it sent one.
std::string error_text(rd_kafka_resp_err_t err, const char* broker_message);

// The replication factor seen: "3", or "2..3" when partitions differ.
std::string replicas_text(const existing_topic& have);

// Each setting that was asked for and is not what the cluster has; empty when all match.
std::string differences(const topic_settings& want, const existing_topic& have,
                        const std::optional<std::string>& have_retention,
                        const std::optional<std::string>& have_max_message, std::size_t max_record_bytes);

// validate(topic_spec), its fields named under `field`. @throws validation_error.
void check_spec(const topic_spec& spec, const std::string& field);

// The CreateTopics entry for a checked spec; librdkafka's own range checks (e.g. at most 100000
// partitions) are reported as the spec's fault, still before any request.
new_topic make_new_topic(const topic_spec& spec, const std::string& field, std::size_t max_record_bytes);

// Everything that needs no request, so a bad spec is refused before any.
batch prepare(std::span<const topic_spec> specs, bool indexed, std::size_t max_record_bytes);

}  // namespace domain_events::detail::admin
