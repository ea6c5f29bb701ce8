#include "gateway_metrics.hpp"

#include <vector>

#include <domain_events/ops/metrics_text.hpp>

namespace domain_events::gateway {
namespace {

std::vector<metric_sample> by_type(const std::map<std::string, std::uint64_t>& counts) {
    std::vector<metric_sample> samples;
    for (const auto& [type, n] : counts) samples.push_back({{{"event_type", type}}, static_cast<double>(n)});
    return samples;
}

}  // namespace

std::string gateway_metrics::label_of(std::string_view event_type) const {
    return settings_.event_types.contains(event_type) ? std::string(event_type) : std::string("other");
}

void gateway_metrics::request(std::string_view route, int status, std::chrono::microseconds took) {
    latency_.record(took);
    std::lock_guard lock(mutex_);
    ++counts_.requests[{std::string(route), status}];
}

void gateway_metrics::accepted(std::string_view event_type, std::uint64_t n) {
    auto label = label_of(event_type);
    std::lock_guard lock(mutex_);
    counts_.accepted[std::move(label)] += n;
}

void gateway_metrics::duplicate(std::string_view event_type) {
    auto label = label_of(event_type);
    std::lock_guard lock(mutex_);
    ++counts_.duplicates[std::move(label)];
}

void gateway_metrics::refused(std::string_view event_type) {
    auto label = label_of(event_type);
    std::lock_guard lock(mutex_);
    ++counts_.refused[std::move(label)];
}

gateway_counts gateway_metrics::snapshot() const {
    gateway_counts copy;
    {
        std::lock_guard lock(mutex_);
        copy = counts_;
    }
    copy.latency = latency_.snapshot();
    return copy;
}

std::string metrics_page(const gateway_counts& counts, std::int64_t backlog, std::uint64_t free_disk_bytes,
                         bool refusing_writes, std::uint64_t transactions, std::uint64_t committed) {
    metrics_text page;
    std::vector<metric_sample> requests;
    for (const auto& [key, n] : counts.requests) {
        requests.push_back({{{"route", key.first}, {"status", std::to_string(key.second)}}, static_cast<double>(n)});
    }
    page.counter("domain_events_gateway_requests_total", "HTTP requests answered, by route and status", requests);
    page.histogram_seconds("domain_events_gateway_request_duration_seconds",
                           "From a request's arrival at its route to its answer", counts.latency);
    page.counter("domain_events_gateway_events_accepted_total", "Events committed to the outbox, by type",
                 by_type(counts.accepted));
    page.counter("domain_events_gateway_events_duplicate_total",
                 "Events whose event_id was accepted before with the same content (nothing written), by type",
                 by_type(counts.duplicates));
    page.counter("domain_events_gateway_events_refused_total", "Events refused (invalid, or a conflicting event_id), by type",
                 by_type(counts.refused));
    page.gauge("domain_events_gateway_outbox_backlog_events", "Events committed to the outbox and not yet published",
               static_cast<double>(backlog));
    page.gauge("domain_events_gateway_free_disk_bytes", "Free space of the database's filesystem",
               static_cast<double>(free_disk_bytes));
    page.gauge("domain_events_gateway_back_pressure", "1 while writes are refused for the backlog or the disk",
               refusing_writes ? 1.0 : 0.0);
    page.counter("domain_events_gateway_transactions_total", "Shared SQLite transactions committed (group commit)",
                 static_cast<double>(transactions));
    page.counter("domain_events_gateway_commits_total", "Requests whose writes those transactions held",
                 static_cast<double>(committed));
    return page.text();
}

}  // namespace domain_events::gateway
