#pragma once
// The library has no default topic prefix: tests name theirs as an application must.
#include <string>
#include <utility>

#include "domain_events/config.hpp"

namespace domain_events::testing {

/** @brief The defaults, with topics under `prefix` (the clinic's unless a test needs its own). */
inline config prefixed_config(std::string prefix = "healthcore") {
    config c;
    c.topic_prefix = std::move(prefix);
    return c;
}

}  // namespace domain_events::testing
