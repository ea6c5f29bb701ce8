#include "domain_events/kafka/topic_admin.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <thread>
#include <utility>

#include "domain_events/error.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "kafka/kafka_conf.hpp"
#include "kafka/kafka_log.hpp"
#include "kafka/topic_admin_parts.hpp"

namespace domain_events {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds max_timeout{3'600'000};
// How long to wait for a queue's answer beyond the request timeout librdkafka enforces itself.
constexpr milliseconds hand_over{1000};
// Between metadata requests while a topic the broker says exists is not in its metadata yet.
constexpr milliseconds metadata_retry{100};

using namespace detail::admin;

}  // namespace

void validate(const topic_spec& spec) { check_spec(spec, "topic_spec"); }

topic_spec topic_spec_for(const config& c, std::string_view event_type, std::string_view aggregate_type) {
    const auto key = c.routing == topic_routing::per_aggregate ? aggregate_type : event_type;
    const auto override_for = c.topic_overrides.find(key);
    return {topic_for(topic_prefix_of(c), c.routing, event_type, aggregate_type),
            override_for == c.topic_overrides.end() ? c.topics : override_for->second};
}

std::string_view to_string(topic_outcome outcome) noexcept {
    switch (outcome) {
        case topic_outcome::created: return "created";
        case topic_outcome::matches: return "matches";
        case topic_outcome::differs: return "differs";
        case topic_outcome::unsupported: return "unsupported";
    }
    return "invalid";
}

std::ostream& operator<<(std::ostream& out, topic_outcome outcome) { return out << to_string(outcome); }

std::ostream& operator<<(std::ostream& out, const topic_report& report) {
    out << report.topic << ": " << report.outcome;
    if (!report.detail.empty()) out << " (" << report.detail << ')';
    return out;
}

struct topic_admin::impl : detail::kafka_log_target {
    milliseconds timeout{};
    std::size_t max_record_bytes = 0;  // validation.max_payload_bytes
    std::shared_ptr<spdlog::logger> log_owner;
    detail::kafka_handle client;  // last: destroyed first, while the log target still lives

    int timeout_ms() const { return static_cast<int>(timeout.count()); }

    // Both ensure()s; `indexed` names a spec's fields `topic_specs[i]` rather than `topic_spec`.
    std::vector<topic_report> ensure(std::span<const topic_spec> specs, bool indexed);
    // CreateTopics for those the look-up did not find; true when one turned out to exist.
    bool create_missing(batch& work, const cluster_view& view);
    // Looks again until every topic to compare is in the metadata, at most `timeout`.
    void wait_until_visible(batch& work, cluster_view& view);
    // matches or differs for each topic that exists, or a failure.
    void compare(batch& work, const cluster_view& view);
    // topic_admin::broker_limit_problems.
    std::vector<std::string> broker_limit_problems();

    // One metadata request for all topics, not the wanted ones: asking for a topic by name
    // auto-creates it, with the broker's defaults, on brokers that allow that.
    cluster_view look_up(const std::set<std::string, std::less<>>& wanted) {
        const rd_kafka_metadata_t* raw = nullptr;
        const auto err = rd_kafka_metadata(client.get(), 1, nullptr, &raw, timeout_ms());
        metadata owned(raw);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (wanted.empty()) {
                throw publish_error("looking up the cluster's brokers: " + detail::kafka_error_text(err), err);
            }
            std::vector<failure> failures;
            for (const auto& name : wanted) {
                failures.push_back({name, "looking up the cluster's topics: " + detail::kafka_error_text(err), err});
            }
            fail(failures);
        }
        cluster_view view;
        for (int i = 0; i < owned->topic_cnt; ++i) {
            const auto& t = owned->topics[i];
            // A topic just created may have no leader yet; its partitions are known all the same.
            const bool usable = t.err == RD_KAFKA_RESP_ERR_NO_ERROR || t.err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
            if (!usable || t.partition_cnt < 1 || !wanted.contains(std::string_view(t.topic))) continue;
            existing_topic found{t.partition_cnt, t.partitions[0].replica_cnt, t.partitions[0].replica_cnt};
            for (int p = 1; p < t.partition_cnt; ++p) {
                found.min_replicas = std::min(found.min_replicas, t.partitions[p].replica_cnt);
                found.max_replicas = std::max(found.max_replicas, t.partitions[p].replica_cnt);
            }
            view.topics.emplace(t.topic, found);
        }
        for (int i = 0; i < owned->broker_cnt; ++i) view.brokers.push_back(std::to_string(owned->brokers[i].id));
        // Admin requests go to the controller. Real clusters name one of their brokers (KRaft: any
        // of them). librdkafka's mock (2.0.2) names broker 0, which does not exist, and has no
        // CreateTopics or DescribeConfigs: asked anyway, librdkafka waits for a controller until
        // the request times out ("Failed while waiting for controller").
        const auto controller = rd_kafka_controllerid(client.get(), 0);
        for (int i = 0; i < owned->broker_cnt; ++i) {
            if (owned->brokers[i].id == controller) view.admin_api = true;
        }
        return view;
    }

    admin_options options_for(rd_kafka_admin_op_t op) {
        admin_options options(rd_kafka_AdminOptions_new(client.get(), op));
        char reason[512];
        // Both bounded by the 1 h cap on `timeout`, which librdkafka accepts.
        rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms(), reason, sizeof reason);
        if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS) {
            rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms(), reason, sizeof reason);
        }
        return options;
    }

    // The result of a request sent to `results`; throws for every topic when none comes in time
    // or the request as a whole failed.
    admin_event await(rd_kafka_queue_t* results, const std::vector<std::string>& topics, std::string_view doing) {
        admin_event result(rd_kafka_queue_poll(results, static_cast<int>((timeout + hand_over).count())));
        auto err = RD_KAFKA_RESP_ERR__TIMED_OUT;
        std::string what = std::string(doing) + ": no answer from the cluster within " +
                           std::to_string((timeout + hand_over).count()) + " ms";
        if (result) {
            err = rd_kafka_event_error(result.get());
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return result;
            what = std::string(doing) + ": " + error_text(err, rd_kafka_event_error_string(result.get()));
        }
        std::vector<failure> failures;
        for (const auto& name : topics) failures.push_back({name, what, err});
        fail(failures);
    }

    // Per topic: the error of its CreateTopics entry, with the broker's message.
    std::map<std::string, std::pair<rd_kafka_resp_err_t, std::string>> create(std::vector<rd_kafka_NewTopic_t*> topics,
                                                                              const std::vector<std::string>& names) {
        const auto options = options_for(RD_KAFKA_ADMIN_OP_CREATETOPICS);
        const queue results(rd_kafka_queue_new(client.get()));
        rd_kafka_CreateTopics(client.get(), topics.data(), topics.size(), options.get(), results.get());
        const auto result = await(results.get(), names, "creating it");
        std::size_t count = 0;
        const auto* const* entries =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(result.get()), &count);
        std::map<std::string, std::pair<rd_kafka_resp_err_t, std::string>> outcomes;
        for (std::size_t i = 0; i < count; ++i) {
            const auto err = rd_kafka_topic_result_error(entries[i]);
            outcomes[rd_kafka_topic_result_name(entries[i])] = {err,
                                                                error_text(err, rd_kafka_topic_result_error_string(entries[i]))};
        }
        return outcomes;
    }

    // Per resource (topics or brokers): the entries of `wanted` it reports, or a failure.
    described_configs describe(rd_kafka_ResourceType_t type, const std::vector<std::string>& names,
                               std::initializer_list<std::string_view> wanted, std::vector<failure>& failures) {
        std::vector<config_resource> owned;
        std::vector<rd_kafka_ConfigResource_t*> resources;
        for (const auto& name : names) {
            owned.emplace_back(rd_kafka_ConfigResource_new(type, name.c_str()));
            resources.push_back(owned.back().get());
        }
        const auto options = options_for(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
        const queue results(rd_kafka_queue_new(client.get()));
        rd_kafka_DescribeConfigs(client.get(), resources.data(), resources.size(), options.get(), results.get());
        const auto result = await(results.get(), names, "reading its configuration");
        std::size_t count = 0;
        const auto* const* described =
            rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(result.get()), &count);
        described_configs configs;
        for (std::size_t i = 0; i < count; ++i) {
            const std::string name = rd_kafka_ConfigResource_name(described[i]);
            if (const auto err = rd_kafka_ConfigResource_error(described[i])) {
                failures.push_back({name,
                                    "reading its configuration: " +
                                        error_text(err, rd_kafka_ConfigResource_error_string(described[i])),
                                    err});
                continue;
            }
            auto& values = configs[name];
            std::size_t entry_count = 0;
            const auto* const* entries = rd_kafka_ConfigResource_configs(described[i], &entry_count);
            for (std::size_t e = 0; e < entry_count; ++e) {
                const std::string_view entry_name = rd_kafka_ConfigEntry_name(entries[e]);
                const char* entry_value = rd_kafka_ConfigEntry_value(entries[e]);
                if (entry_value && std::find(wanted.begin(), wanted.end(), entry_name) != wanted.end()) {
                    values.emplace(entry_name, entry_value);
                }
            }
        }
        for (const auto& name : names) {
            const bool failed = std::any_of(failures.begin(), failures.end(), [&](const failure& f) { return f.topic == name; });
            if (!failed && !configs.contains(name)) {
                failures.push_back({name, "reading its configuration: the cluster's answer does not mention it",
                                    RD_KAFKA_RESP_ERR__BAD_MSG});
            }
        }
        return configs;
    }
};

topic_admin::topic_admin(const config& c, milliseconds timeout, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<impl>()) {
    if (c.bootstrap_servers.empty()) {
        throw config_error("topic admin: bootstrap_servers='': must name the brokers to ask");
    }
    if (timeout < milliseconds{1} || timeout > max_timeout) {
        throw usage_error("topic admin: timeout=" + std::to_string(timeout.count()) + " ms must be within 1.." +
                          std::to_string(max_timeout.count()) + " ms");
    }
    impl_->timeout = timeout;
    impl_->max_record_bytes = c.validation.max_payload_bytes;
    impl_->log_owner = logger ? std::move(logger) : library_logger();
    impl_->logger = impl_->log_owner.get();
    auto properties = c.kafka_properties;
    properties["bootstrap.servers"] = c.bootstrap_servers;
    auto conf = detail::make_kafka_conf(properties, "topic admin");
    detail::route_kafka_logs(conf.get(), impl_.get());
    impl_->client = detail::make_kafka_client(RD_KAFKA_PRODUCER, std::move(conf), "topic admin");
}

topic_admin::~topic_admin() = default;

topic_report topic_admin::ensure(const topic_spec& spec) {
    return std::move(impl_->ensure(std::span(&spec, 1), false).front());
}

std::vector<topic_report> topic_admin::ensure(std::span<const topic_spec> specs) {
    return impl_->ensure(specs, true);
}

std::vector<std::string> topic_admin::broker_limit_problems() { return impl_->broker_limit_problems(); }

std::vector<topic_report> topic_admin::impl::ensure(std::span<const topic_spec> specs, bool indexed) {
    auto work = prepare(specs, indexed, max_record_bytes);
    if (specs.empty()) return std::move(work.reports);
    auto view = look_up(work.names);
    if (!view.admin_api) {
        for (auto& r : work.reports) {
            r.detail = "the cluster names no controller among its brokers, so it has no Admin API "
                       "(librdkafka's mock cluster): left to auto-creation";
        }
        return std::move(work.reports);
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (view.topics.contains(specs[i].name)) work.to_compare.push_back(i);
    }
    const bool raced = create_missing(work, view);
    if (raced) wait_until_visible(work, view);
    compare(work, view);
    if (!work.failures.empty()) fail(work.failures);
    return std::move(work.reports);
}

bool topic_admin::impl::create_missing(batch& work, const cluster_view& view) {
    std::vector<rd_kafka_NewTopic_t*> missing;
    std::vector<std::string> missing_names;
    for (std::size_t i = 0; i < work.specs.size(); ++i) {
        if (view.topics.contains(work.specs[i].name)) continue;
        missing.push_back(work.new_topics[i].get());
        missing_names.push_back(work.specs[i].name);
    }
    if (missing.empty()) return false;
    const auto created = create(missing, missing_names);
    bool raced = false;
    for (std::size_t i = 0; i < work.specs.size(); ++i) {
        const auto& spec = work.specs[i];
        if (view.topics.contains(spec.name)) continue;
        const auto entry = created.find(spec.name);
        if (entry == created.end()) {
            work.failures.push_back(
                {spec.name, "creating it: the cluster's answer does not mention it", RD_KAFKA_RESP_ERR__BAD_MSG});
            continue;
        }
        const auto& [err, text] = entry->second;
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            work.reports[i].outcome = topic_outcome::created;
            const auto& t = spec.settings;
            logger->info("topic {} created: {} partitions, replication factor {}, retention.ms {}, max.message.bytes {}",
                         spec.name, t.partitions,
                         t.replication_factor == -1 ? "of the broker" : std::to_string(t.replication_factor),
                         t.retention_ms == 0 ? "of the broker" : std::to_string(t.retention_ms), max_record_bytes);
        } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            work.to_compare.push_back(i);  // created since our look-up, e.g. by another relay
            raced = true;
        } else if (no_admin_api(err)) {
            work.reports[i].detail = "CreateTopics: " + text + ": left to auto-creation";
        } else {
            work.failures.push_back({spec.name, "creating it: " + text, err});
        }
    }
    return raced;
}

void topic_admin::impl::wait_until_visible(batch& work, cluster_view& view) {
    // A topic the controller just created reaches the brokers' metadata a moment later.
    const auto unseen = [&] {
        return std::any_of(work.to_compare.begin(), work.to_compare.end(),
                           [&](std::size_t i) { return !view.topics.contains(work.specs[i].name); });
    };
    const auto deadline = steady_clock::now() + timeout;
    while (unseen() && steady_clock::now() < deadline) {
        // A short pause on the caller's thread, which nothing else could wake earlier.
        std::this_thread::sleep_for(metadata_retry);
        view = look_up(work.names);
    }
}

void topic_admin::impl::compare(batch& work, const cluster_view& view) {
    std::vector<std::string> names;
    for (const auto i : work.to_compare) {
        const auto& spec = work.specs[i];
        if (!view.topics.contains(spec.name)) {
            work.failures.push_back({spec.name,
                                     "the cluster says it exists but its metadata did not show it within " +
                                         std::to_string(timeout.count()) + " ms",
                                     RD_KAFKA_RESP_ERR__TIMED_OUT});
        } else {
            names.push_back(spec.name);
        }
    }
    described_configs configs;
    if (!names.empty()) {
        configs = describe(RD_KAFKA_RESOURCE_TOPIC, names, {"retention.ms", "max.message.bytes"}, work.failures);
    }

    for (const auto i : work.to_compare) {
        const auto& spec = work.specs[i];
        const auto existing = view.topics.find(spec.name);
        if (existing == view.topics.end() || !configs.contains(spec.name)) continue;  // a failure is recorded
        auto& report = work.reports[i];
        report.detail = differences(spec.settings, existing->second, entry(configs, spec.name, "retention.ms"),
                                    entry(configs, spec.name, "max.message.bytes"), max_record_bytes);
        report.outcome = report.detail.empty() ? topic_outcome::matches : topic_outcome::differs;
        if (report.outcome == topic_outcome::differs) {
            logger->warn("topic {} exists with other settings than configured, left as they are: {}", spec.name,
                         report.detail);
        }
    }
}

std::vector<std::string> topic_admin::impl::broker_limit_problems() {
    const auto view = look_up({});
    if (!view.admin_api || view.brokers.empty()) return {};
    std::vector<failure> failures;
    described_configs configs;
    // librdkafka takes one broker resource per DescribeConfigs (it goes to that broker).
    for (const auto& broker : view.brokers) {
        configs.merge(describe(RD_KAFKA_RESOURCE_BROKER, {broker}, {"message.max.bytes"}, failures));
    }
    std::vector<std::string> problems;
    for (const auto& f : failures) problems.push_back("broker " + f.topic + ": " + f.what);
    for (const auto& broker : view.brokers) {
        const auto have = entry(configs, broker, "message.max.bytes");
        if (!below(have, max_record_bytes)) continue;
        problems.push_back("broker " + broker + ": message.max.bytes=" + *have + " is below the " +
                           std::to_string(max_record_bytes) +
                           " bytes an event may take (DOMAIN_EVENTS_MAX_PAYLOAD_BYTES): a topic not created by "
                           "the relay, without max.message.bytes of its own, refuses the largest events; raise "
                           "the broker's message.max.bytes or lower DOMAIN_EVENTS_MAX_PAYLOAD_BYTES");
    }
    for (const auto& problem : problems) logger->warn("{}", problem);
    return problems;
}

}  // namespace domain_events
