#include "domain_events/publish/envelope_format.hpp"

#include <utility>

namespace domain_events {
namespace {

constexpr std::pair<std::string_view, envelope_format> names[] = {
    {"native", envelope_format::native},
    {"cloudevents_binary", envelope_format::cloudevents_binary},
    {"cloudevents_structured", envelope_format::cloudevents_structured},
};

}  // namespace

std::optional<envelope_format> parse_envelope_format(std::string_view text) noexcept {
    for (const auto& [name, format] : names) {
        if (name == text) return format;
    }
    return std::nullopt;
}

std::string_view to_string(envelope_format format) noexcept {
    for (const auto& [name, value] : names) {
        if (value == format) return name;
    }
    return "invalid";
}

}  // namespace domain_events
