#pragma once
// The relay process's HTTP endpoint (`domain-events relay --http 127.0.0.1:PORT`): health,
// Prometheus metrics and the outbox's dead letters, on a `health_server`.
#include <memory>
#include <string>

#include "domain_events/config.hpp"
#include "domain_events/ops/health_server.hpp"
#include "domain_events/relay/relay.hpp"

namespace domain_events::cli {

/** @brief The relay's metrics page (counters, gauges, latency histogram), plus the outbox's dead letters gauge. */
[[nodiscard]] std::string relay_metrics(const relay_counters& counters, std::int64_t dead_letters);

/**
 * @brief A started endpoint for `publisher_relay` (which must outlive it). Ready means: this
 *        relay holds the lease and the brokers answer. `admin_token` empty: POST routes are off.
 * @throws config_error when it cannot listen at `address`.
 */
[[nodiscard]] std::unique_ptr<health_server> start_relay_http(relay& publisher_relay, const config& settings,
                                                              listen_address address, std::string admin_token);

}  // namespace domain_events::cli
