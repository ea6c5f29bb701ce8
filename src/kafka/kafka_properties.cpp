#include "kafka/kafka_properties.hpp"

#include <charconv>

#include "domain_events/error.hpp"

namespace domain_events::detail {

std::map<std::string, std::string> merge_properties(std::map<std::string, std::string> defaults,
                                                    const std::map<std::string, std::string>& user,
                                                    std::span<const pinned_property> pinned, std::string_view who) {
    for (const auto& [name, value] : user) {
        for (const auto& pin : pinned) {
            if (pin.name == name && !pin.accepts(value)) {
                throw config_error(std::string(who) + ": librdkafka property " + name + "='" + value + "' " + pin.why);
            }
        }
        defaults[name] = value;
    }
    return defaults;
}

pinned_property pin_to(std::string name, std::string value, std::string why) {
    return {std::move(name), [required = std::move(value)](const std::string& v) { return v == required; },
            std::move(why)};
}

pinned_property pin_at_least(std::string name, std::size_t floor, std::string why) {
    return {std::move(name),
            [floor](const std::string& value) {
                std::size_t number = 0;
                const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
                return error == std::errc{} && end == value.data() + value.size() && number >= floor;
            },
            std::move(why)};
}

pinned_property pin_acks_all(std::string_view owner) {
    return {"acks", [](const std::string& value) { return value == "all" || value == "-1"; },
            "does not wait for every in-sync replica; the " + std::string(owner) + " requires all"};
}

}  // namespace domain_events::detail
