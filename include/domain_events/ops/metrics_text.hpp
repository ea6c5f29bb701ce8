#pragma once
/** @file
 * Prometheus text exposition format (version 0.0.4), written by hand because it is a few lines
 * of text: the relay's and the consumers' `/metrics` endpoints build their page with it.
 */
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "domain_events/ops/latency_histogram.hpp"

namespace domain_events {

/** @brief Label name to value, e.g. {{"topic", "healthcore.patient.created"}, {"partition", "0"}}. */
using metric_labels = std::map<std::string, std::string, std::less<>>;

/** @brief One labelled value of a metric family. */
struct metric_sample {
    metric_labels labels;
    double value = 0;
};

/**
 * @brief Builds one metrics page: each call adds a family with its `# HELP` and `# TYPE` lines.
 *        Names follow Prometheus conventions (units in the name, counters end in `_total`).
 *        Not thread-safe; build one page per request.
 */
class metrics_text {
public:
    /**
     * @param labels on the one sample (e.g. {{"group", "reminders"}}); values are escaped.
     * @throws usage_error when `name` is not a metric name or does not end in `_total`.
     */
    void counter(std::string_view name, std::string_view help, double value, const metric_labels& labels = {});
    /**
     * @brief A counter with one sample per label set (e.g. requests per route and status).
     * @throws usage_error when `name` is not a metric name or does not end in `_total`.
     */
    void counter(std::string_view name, std::string_view help, std::span<const metric_sample> samples);
    /** @throws usage_error when `name` is not a metric name. */
    void gauge(std::string_view name, std::string_view help, double value, const metric_labels& labels = {});
    /** @brief A gauge with one sample per label set (e.g. lag per partition); label values are escaped. */
    void gauge(std::string_view name, std::string_view help, std::span<const metric_sample> samples);
    /**
     * @brief A histogram in seconds (`name` should end in `_seconds`): cumulative `_bucket{le=...}`
     *        lines from `latency`'s microsecond bounds, `+Inf`, `_sum` and `_count`, each with `labels`.
     * @throws usage_error when `name` is not a metric name or `labels` has `le`.
     */
    void histogram_seconds(std::string_view name, std::string_view help, const latency_snapshot& latency,
                           const metric_labels& labels = {});

    /** @brief The page so far. */
    [[nodiscard]] const std::string& text() const noexcept { return text_; }

    /** @brief The Content-Type to serve the page with. */
    static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

private:
    void family(std::string_view name, std::string_view help, std::string_view type);
    void sample(std::string_view name, const metric_labels& labels, double value);

    std::string text_;
};

}  // namespace domain_events
