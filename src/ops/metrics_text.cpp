#include "domain_events/ops/metrics_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

bool is_name_char(char c, bool first) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    return letter || (!first && c >= '0' && c <= '9');
}

void check_name(std::string_view name, std::string_view what) {
    bool ok = !name.empty();
    for (std::size_t i = 0; ok && i < name.size(); ++i) ok = is_name_char(name[i], i == 0);
    if (!ok) {
        throw usage_error(std::string(what) + " name '" + std::string(name) + "' must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
}

// HELP text escapes backslash and newline; label values also the double quote.
std::string escaped(std::string_view text, bool quote) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quote && c == '"') out += "\\\"";
        else out += c;
    }
    return out;
}

std::string number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char text[32];
    // Integers (counts) print exactly; other values in the shortest of %.15g and %.17g that
    // reads back as the same double (0.00025, not 0.00025000000000000001).
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        std::snprintf(text, sizeof text, "%.0f", value);
        return text;
    }
    std::snprintf(text, sizeof text, "%.15g", value);
    if (std::strtod(text, nullptr) != value) std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

}  // namespace

void metrics_text::family(std::string_view name, std::string_view help, std::string_view type) {
    check_name(name, "metric");
    text_ += "# HELP " + std::string(name) + ' ' + escaped(help, false) + '\n';
    text_ += "# TYPE " + std::string(name) + ' ' + std::string(type) + '\n';
}

void metrics_text::sample(std::string_view name, const metric_labels& labels, double value) {
    text_ += name;
    if (!labels.empty()) {
        text_ += '{';
        const char* separator = "";
        for (const auto& [label, label_value] : labels) {
            check_name(label, "label");
            text_ += separator + label + "=\"" + escaped(label_value, true) + '"';
            separator = ",";
        }
        text_ += '}';
    }
    text_ += ' ' + number(value) + '\n';
}

void metrics_text::counter(std::string_view name, std::string_view help, double value, const metric_labels& labels) {
    if (!name.ends_with("_total")) throw usage_error("counter name '" + std::string(name) + "' must end in _total");
    family(name, help, "counter");
    sample(name, labels, value);
}

void metrics_text::counter(std::string_view name, std::string_view help, std::span<const metric_sample> samples) {
    if (!name.ends_with("_total")) throw usage_error("counter name '" + std::string(name) + "' must end in _total");
    family(name, help, "counter");
    for (const auto& s : samples) sample(name, s.labels, s.value);
}

void metrics_text::gauge(std::string_view name, std::string_view help, double value, const metric_labels& labels) {
    family(name, help, "gauge");
    sample(name, labels, value);
}

void metrics_text::gauge(std::string_view name, std::string_view help, std::span<const metric_sample> samples) {
    family(name, help, "gauge");
    for (const auto& s : samples) sample(name, s.labels, s.value);
}

void metrics_text::histogram_seconds(std::string_view name, std::string_view help, const latency_snapshot& latency,
                                     const metric_labels& labels) {
    if (labels.contains("le")) throw usage_error("histogram " + std::string(name) + ": the label le is the bucket's own");
    family(name, help, "histogram");
    const std::string bucket = std::string(name) + "_bucket";
    const auto with_le = [&labels](std::string le) {
        auto bucket_labels = labels;
        bucket_labels.emplace("le", std::move(le));
        return bucket_labels;
    };
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < latency.bounds_us.size(); ++i) {
        cumulative += latency.counts[i];
        sample(bucket, with_le(number(static_cast<double>(latency.bounds_us[i]) / 1e6)), static_cast<double>(cumulative));
    }
    sample(bucket, with_le("+Inf"), static_cast<double>(latency.count));
    sample(std::string(name) + "_sum", labels, static_cast<double>(latency.sum_us) / 1e6);
    sample(std::string(name) + "_count", labels, static_cast<double>(latency.count));
}

}  // namespace domain_events
