#pragma once
// What a bootstrap list looks like: `[scheme://]host[:port]` entries, comma-separated. Internal
// (config validation).
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace domain_events::detail {

/** @brief The first entry of a comma-separated bootstrap list that is not a broker address, with why; nullopt when all are. */
[[nodiscard]] std::optional<std::pair<std::string, std::string>> bootstrap_problem(std::string_view list);

}  // namespace domain_events::detail
