#include "domain_events/ops/consumer_http.hpp"

#include <spdlog/spdlog.h>

#include "domain_events/consume/consumer.hpp"
#include "domain_events/event.hpp"
#include "domain_events/ops/metrics_text.hpp"

namespace domain_events {
namespace {

double seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

nlohmann::json optional_json(const std::optional<std::int64_t>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string consumer_metrics(const consumer_status& s) {
    metrics_text page;
    const metric_labels group{{"group", s.group_id}};
    const auto& c = s.counters;
    const auto d = [](auto v) { return static_cast<double>(v); };
    page.counter("domain_events_consumer_applied_total", "Events applied and recorded in one committed transaction",
                 d(c.applied), group);
    page.counter("domain_events_consumer_duplicates_total", "Redelivered events found recorded and skipped",
                 d(c.duplicates), group);
    page.counter("domain_events_consumer_dead_lettered_total", "Messages sent to the dead-letter topic",
                 d(c.dead_lettered), group);
    page.counter("domain_events_consumer_skipped_total", "Events of types without a handler or not subscribed",
                 d(c.skipped), group);
    page.counter("domain_events_consumer_handler_retries_total", "Failed handler attempts that were retried",
                 d(c.handler_retries), group);
    page.counter("domain_events_consumer_rebalances_total", "Partition assignments and revocations", d(c.rebalances),
                 group);
    page.counter("domain_events_consumer_commits_total", "Offset commits that succeeded", d(c.commits), group);
    std::vector<metric_sample> lags;
    for (const auto& p : s.partitions) {
        if (!p.lag) continue;  // unknown until librdkafka's first statistics: absent, not 0
        lags.push_back({{{"group", s.group_id}, {"topic", p.topic}, {"partition", std::to_string(p.partition)}},
                        d(*p.lag)});
    }
    page.gauge("domain_events_consumer_lag_messages",
               "Messages between the partition's end and the group's position, per assigned partition", lags);
    page.gauge("domain_events_consumer_assigned_partitions", "Partitions assigned to this member",
               d(s.partitions.size()), group);
    page.gauge("domain_events_consumer_missing_topics",
               "Subscribed topics (and patterns) not in the cluster at the last look", d(s.missing_topics.size()), group);
    page.gauge("domain_events_consumer_stalled", "1 when lag is left and nothing was dealt with for stall_after",
               s.stalled ? 1.0 : 0.0, group);
    page.gauge("domain_events_consumer_last_progress_age_seconds",
               "Since a message was last dealt with (or partitions were assigned)",
               s.since_progress ? seconds(*s.since_progress) : 0.0, group);
    page.histogram_seconds("domain_events_consumer_handler_duration_seconds",
                           "Per applied event: the handler and its transaction", c.handler_latency, group);
    return page.text();
}

readiness consumer_readiness(const consumer_status& s, const broker_status& broker) {
    if (!s.running) return {false, "consumer " + s.group_id + " is not running"};
    if (!s.assigned() && !s.missing_topics.empty()) {
        return {false, "consumer " + s.group_id + " has no partitions assigned: its topics do not exist yet (" +
                           std::to_string(s.missing_topics.size()) + " missing, first " + s.missing_topics.front() + ")"};
    }
    if (!s.assigned()) {
        return {false, "consumer " + s.group_id + " has no partitions assigned (joining the group, or more members than partitions)"};
    }
    if (s.stalled) {
        return {false, "consumer " + s.group_id + " is stalled: lag " + std::to_string(s.total_lag()) +
                           " and no message dealt with for " +
                           std::to_string(s.since_progress.value_or(std::chrono::milliseconds{0}).count() / 1000) + " s" +
                           (s.last_error.empty() ? std::string() : "; last error: " + s.last_error)};
    }
    if (!broker.reachable) return {false, "Kafka is unreachable: " + broker.error};
    return {true, {}};
}

nlohmann::json consumer_detailed(const consumer_status& s, const broker_status& broker) {
    const auto ready = consumer_readiness(s, broker);
    auto assignment = nlohmann::json::array();
    for (const auto& p : s.partitions) {
        assignment.push_back({{"topic", p.topic},
                              {"partition", p.partition},
                              {"end_offset", optional_json(p.end_offset)},
                              {"position", optional_json(p.position)},
                              {"lag", optional_json(p.lag)}});
    }
    const auto& c = s.counters;
    return {
        {"status", ready.ready ? "ready" : "not ready"},
        {"reason", ready.reason},
        {"group", s.group_id},
        {"running", s.running},
        {"assigned", s.assigned()},
        {"stalled", s.stalled},
        {"assignment", assignment},
        {"total_lag", s.total_lag()},
        {"missing_topics", s.missing_topics},
        {"seconds_since_progress", s.since_progress ? nlohmann::json(seconds(*s.since_progress)) : nlohmann::json(nullptr)},
        {"totals",
         {{"applied", c.applied},
          {"duplicates", c.duplicates},
          {"dead_lettered", c.dead_lettered},
          {"skipped", c.skipped},
          {"handler_retries", c.handler_retries},
          {"rebalances", c.rebalances},
          {"commits", c.commits}}},
        {"handler_p99_ms", static_cast<double>(c.handler_latency.quantile(0.99).count()) / 1000.0},
        {"last_error", s.last_error},
        {"last_error_at",
         s.last_error_at
             ? nlohmann::json(format_timestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(*s.last_error_at)))
             : nlohmann::json(nullptr)},
        {"broker", {{"reachable", broker.reachable}, {"brokers", broker.brokers}, {"error", broker.error}}},
    };
}

struct consumer_http_endpoint::impl {
    impl(const consumer& c, std::shared_ptr<spdlog::logger> logger)
        : watched(c), probe(c.settings(), logger), log(std::move(logger)) {}

    const consumer& watched;
    broker_probe probe;
    std::shared_ptr<spdlog::logger> log;
    std::unique_ptr<health_server> server;  // last: stopped first, while what its routes use lives
};

consumer_http_endpoint::consumer_http_endpoint(const consumer& watched, std::string_view address,
                                               std::shared_ptr<spdlog::logger> logger)
    : consumer_http_endpoint(watched, parse_listen_address(address, "consumer http address"), std::move(logger)) {}

consumer_http_endpoint::consumer_http_endpoint(const consumer& watched, listen_address address,
                                               std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<impl>(watched, logger ? std::move(logger) : watched.options().logger)) {
    auto& i = *impl_;
    health_checks checks{
        .ready =
            [&i] {
                const auto status = i.watched.status();
                // The cheap checks first: the broker is asked only when the rest holds.
                auto ready = consumer_readiness(status, broker_status{.reachable = true, .brokers = 0, .error = {}});
                if (!ready.ready) return ready;
                return consumer_readiness(status, i.probe.check());
            },
        .detailed = [&i] { return consumer_detailed(i.watched.status(), i.probe.check()); },
        .metrics = [&i] { return consumer_metrics(i.watched.status()); },
    };
    i.server = std::make_unique<health_server>(std::move(address), std::move(checks), std::string(), i.log,
                                                 i.watched.settings().http);
    i.server->start();
}

consumer_http_endpoint::~consumer_http_endpoint() = default;

int consumer_http_endpoint::port() const noexcept { return impl_->server->port(); }

}  // namespace domain_events
