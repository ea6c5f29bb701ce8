#pragma once
/** @file
 * The umbrella header: include this one to use domain_events.
 */
#define DOMAIN_EVENTS_VERSION "0.1.0"
/** major * 10000 + minor * 100 + patch */
#define DOMAIN_EVENTS_VERSION_NUMBER 100

#include "domain_events/broker_probe.hpp"
#include "domain_events/config.hpp"
#include "domain_events/consumer.hpp"
#include "domain_events/consumer_cli.hpp"
#include "domain_events/consumer_http.hpp"
#include "domain_events/consumer_options.hpp"
#include "domain_events/consumer_program.hpp"
#include "domain_events/consumer_status.hpp"
#include "domain_events/database.hpp"
#include "domain_events/dead_letter_headers.hpp"
#include "domain_events/embedded_cluster.hpp"
#include "domain_events/error.hpp"
#include "domain_events/event.hpp"
#include "domain_events/health_server.hpp"
#include "domain_events/idempotency_store.hpp"
#include "domain_events/latency_histogram.hpp"
#include "domain_events/logging.hpp"
#include "domain_events/metrics_text.hpp"
#include "domain_events/model_signals.hpp"
#include "domain_events/model_writes.hpp"
#include "domain_events/outbox.hpp"
#include "domain_events/publisher.hpp"
#include "domain_events/relay.hpp"
#include "domain_events/relay_lease.hpp"
#include "domain_events/shutdown_signals.hpp"
#include "domain_events/signal.hpp"
#include "domain_events/statement.hpp"
#include "domain_events/subscription.hpp"
#include "domain_events/topic_admin.hpp"
#include "domain_events/topic_routing.hpp"
#include "domain_events/validation.hpp"
