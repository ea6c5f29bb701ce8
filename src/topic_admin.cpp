#include "domain_events/topic_admin.hpp"

#include <spdlog/spdlog.h>

#include "domain_events/error.hpp"
#include "domain_events/topic_routing.hpp"
#include "domain_events/validation.hpp"
#include "kafka_conf.hpp"
#include "kafka_log.hpp"

namespace domain_events {
namespace {

struct admin_options_deleter { void operator()(rd_kafka_AdminOptions_t* o) const noexcept { rd_kafka_AdminOptions_destroy(o); } };
struct new_topic_deleter { void operator()(rd_kafka_NewTopic_t* t) const noexcept { rd_kafka_NewTopic_destroy(t); } };
struct queue_deleter { void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); } };
struct event_deleter { void operator()(rd_kafka_event_t* e) const noexcept { rd_kafka_event_destroy(e); } };
struct metadata_deleter {
    void operator()(const rd_kafka_metadata_t* m) const noexcept { rd_kafka_metadata_destroy(m); }
};

bool no_admin_api(rd_kafka_resp_err_t err) noexcept {
    return err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION ||
           err == RD_KAFKA_RESP_ERR_INVALID_REQUEST;
}

}  // namespace

struct topic_admin::impl : detail::kafka_log_target {
    std::chrono::milliseconds timeout;
    std::shared_ptr<spdlog::logger> log_owner;
    detail::kafka_handle client;  // last: destroyed first
};

topic_spec topic_spec_for(const config& c, std::string_view event_type, std::string_view aggregate_type) {
    const auto key = c.routing == topic_routing::per_aggregate ? aggregate_type : event_type;
    const auto override_for = c.topic_overrides.find(key);
    return {topic_for(c.topic_prefix, c.routing, event_type, aggregate_type),
            override_for == c.topic_overrides.end() ? c.topics : override_for->second};
}

std::string_view to_string(topic_outcome outcome) noexcept {
    switch (outcome) {
        case topic_outcome::created: return "created";
        case topic_outcome::exists: return "exists";
        case topic_outcome::unsupported: return "unsupported";
    }
    return "invalid";
}

topic_admin::topic_admin(const config& c, std::chrono::milliseconds timeout, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<impl>()) {
    impl_->timeout = timeout;
    impl_->log_owner = logger ? std::move(logger) : spdlog::default_logger();
    impl_->logger = impl_->log_owner.get();
    auto properties = c.kafka_properties;
    properties["bootstrap.servers"] = c.bootstrap_servers;
    auto conf = detail::make_kafka_conf(properties, "topic admin");
    detail::route_kafka_logs(conf.get(), impl_.get());
    impl_->client = detail::make_kafka_client(RD_KAFKA_PRODUCER, std::move(conf), "topic admin");
}

topic_admin::~topic_admin() = default;

topic_admin::lookup topic_admin::look_up(const std::string& name) {
    // All topics, not this one: asking for one topic by name may auto-create it with broker defaults.
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(impl_->client.get(), 1, nullptr, &raw, static_cast<int>(impl_->timeout.count()));
    std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter> metadata(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw publish_error("looking up topic '" + name + "': " + detail::kafka_error_text(err), err);
    }
    lookup found;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
        if (name == metadata->topics[i].topic && metadata->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) found.exists = true;
    }
    // Admin requests go to the controller. Real clusters name one of their brokers; librdkafka's
    // mock names broker 0, which does not exist, and has no Admin API anyway.
    const auto controller = rd_kafka_controllerid(impl_->client.get(), 0);
    for (int i = 0; i < metadata->broker_cnt; ++i) {
        if (metadata->brokers[i].id == controller) found.controller_known = true;
    }
    return found;
}

topic_outcome topic_admin::ensure(const topic_spec& spec) {
    validate_topic_name(spec.name, "topic_spec.name");
    const auto cluster = look_up(spec.name);
    if (cluster.exists) return topic_outcome::exists;
    if (!cluster.controller_known) return topic_outcome::unsupported;
    char reason[512];
    std::unique_ptr<rd_kafka_NewTopic_t, new_topic_deleter> topic(rd_kafka_NewTopic_new(
        spec.name.c_str(), spec.settings.partitions, spec.settings.replication_factor, reason, sizeof reason));
    if (!topic) throw validation_error("topic '" + spec.name + "'", reason);
    if (spec.settings.retention_ms != 0) {
        rd_kafka_NewTopic_set_config(topic.get(), "retention.ms", std::to_string(spec.settings.retention_ms).c_str());
    }
    std::unique_ptr<rd_kafka_AdminOptions_t, admin_options_deleter> options(
        rd_kafka_AdminOptions_new(impl_->client.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
    rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(impl_->timeout.count()), reason,
                                              sizeof reason);
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(impl_->timeout.count()), reason,
                                                sizeof reason);
    std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue(rd_kafka_queue_new(impl_->client.get()));
    auto* raw_topic = topic.get();
    rd_kafka_CreateTopics(impl_->client.get(), &raw_topic, 1, options.get(), queue.get());
    // The request and operation timeouts bound the wait; the extra second covers the hand-over.
    std::unique_ptr<rd_kafka_event_t, event_deleter> result(
        rd_kafka_queue_poll(queue.get(), static_cast<int>(impl_->timeout.count()) + 1000));
    if (!result) throw publish_error("creating topic '" + spec.name + "': no answer from the cluster in time", -1);
    auto err = rd_kafka_event_error(result.get());
    const char* event_message = rd_kafka_event_error_string(result.get());
    std::string explanation = event_message ? event_message : "";
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        size_t count = 0;
        const auto* const* topics = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(result.get()), &count);
        if (count == 1) {
            err = rd_kafka_topic_result_error(topics[0]);
            if (const char* message = rd_kafka_topic_result_error_string(topics[0])) explanation = message;
        }
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        impl_->logger->info("topic {} created ({} partitions, replication factor {})", spec.name,
                            spec.settings.partitions, spec.settings.replication_factor);
        return topic_outcome::created;
    }
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return topic_outcome::exists;
    if (no_admin_api(err)) return topic_outcome::unsupported;
    throw publish_error("creating topic '" + spec.name + "': " + detail::kafka_error_text(err) +
                            (explanation.empty() ? "" : ": " + explanation),
                        err);
}

}  // namespace domain_events
