#pragma once
// The checks a consumer makes of its options and of the shared settings it needs, before it
// opens anything. Internal.
#include "domain_events/config.hpp"
#include "domain_events/consume/consumer_options.hpp"

namespace domain_events::detail {

/** @brief @throws config_error naming every bad value, one per line. */
void check_consumer_options(const config& settings, const consumer_options& options);

}  // namespace domain_events::detail
