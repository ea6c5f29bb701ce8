#include "domain_events/publish/publisher.hpp"

#include <utility>

#include "domain_events/storage/database.hpp"
#include "domain_events/storage/outbox.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "domain_events/publish/validation.hpp"
#include "publish/aggregate_versions.hpp"

namespace domain_events {
namespace {

constexpr std::string_view wake_key = "domain_events.publisher.events_committed";

// An update's event carries only what changed, with the list of changed field names.
nlohmann::json changed_data(const model_change& change) {
    nlohmann::json data = nlohmann::json::object();
    for (const auto& field : change.changed_fields) {
        if (auto value = change.data.find(field); value != change.data.end()) data[field] = *value;
    }
    data["changed_fields"] = change.changed_fields;
    return data;
}

}  // namespace

publisher::publisher(database& db, model_signals& signals, config settings)
    : settings_(std::move(settings)), events_committed_(std::make_shared<signal<>>()) {
    validate(settings_);
    outbox::install(db);
    const connect_options options{.sender = std::nullopt, .dispatch_uid = dispatch_uid};
    saved_ = scoped_connection(signals.post_save.connect(
        [this](database& target, const model_change& change) {
            record_model_change(target, change, change.created ? "created" : "updated");
        },
        options));
    deleted_ = scoped_connection(signals.post_delete.connect(
        [this](database& target, const model_change& change) { record_model_change(target, change, "deleted"); },
        options));
}

publisher::~publisher() = default;

void publisher::record_model_change(database& db, const model_change& change, std::string action) {
    const bool updated = action == "updated";
    // A model without a version of its own (0) takes its aggregate's next one.
    const auto version = change.version != 0 ? change.version : next_version(db, change.model, change.id);
    publish(db, change.model + "." + action, change.model, change.id, version,
            updated ? changed_data(change) : change.data,
            publish_context{change.correlation_id, change.causation_id});
}

std::int64_t publisher::next_version(database& db, const std::string& aggregate_type,
                                    const std::string& aggregate_id) const {
    if (settings_.versions_kept_by_application.contains(aggregate_type)) {
        throw validation_error("aggregate_version", "missing: the versions of " + aggregate_type +
                                                        " are kept by the application "
                                                        "(config::versions_kept_by_application), so its events need one");
    }
    return detail::next_aggregate_version(db, aggregate_type, aggregate_id);
}

event publisher::publish(database& db, std::string event_type, std::string aggregate_type, std::string aggregate_id,
                         std::int64_t aggregate_version, nlohmann::json data, const publish_context& context) {
    event_metadata metadata;
    metadata.source = settings_.source;
    metadata.correlation_id = context.correlation_id;
    metadata.causation_id = context.causation_id;
    metadata.traceparent = context.traceparent;
    metadata.tracestate = context.tracestate;
    auto e = make_event(std::move(event_type), std::move(aggregate_type), std::move(aggregate_id), aggregate_version,
                        std::move(data), std::move(metadata));
    return publish(db, std::move(e));
}

event publisher::publish(database& db, std::string event_type, std::string aggregate_type, std::string aggregate_id,
                         nlohmann::json data, const publish_context& context) {
    const auto version = next_version(db, aggregate_type, aggregate_id);
    return publish(db, std::move(event_type), std::move(aggregate_type), std::move(aggregate_id), version,
                   std::move(data), context);
}

event publisher::publish(database& db, event e) {
    // What the call left unset comes from the operation it runs in (publish_scope.hpp).
    const auto& ambient = publish_scope::current();
    auto& m = e.metadata;
    if (!m.correlation_id) m.correlation_id = ambient.correlation_id;
    if (!m.causation_id) m.causation_id = ambient.causation_id;
    if (!m.traceparent && !m.tracestate) {
        m.traceparent = ambient.traceparent;
        m.tracestate = ambient.tracestate;
    }
    const auto payload = validate_event(e, settings_.validation, settings_.envelope_format);
    validate_topic_name(topic_for(topic_prefix_of(settings_), settings_.routing, e.event_type, e.aggregate_type),
                        "event_type");
    if (!db.in_transaction()) throw usage_error("publisher.publish: no open transaction on '" + db.path() + "'");
    if (!settings_.versions_kept_by_application.contains(e.aggregate_type)) detail::claim_aggregate_version(db, e);
    outbox(db).append(e, payload);
    std::weak_ptr<signal<>> committed = events_committed_;
    db.on_commit(
        [committed] {
            if (auto target = committed.lock()) target->send("outbox");
        },
        wake_key);
    return e;
}

}  // namespace domain_events
