#pragma once
// What the events a handler publishes take from the event it handles (publish_scope.hpp).
// Internal.
#include "domain_events/event.hpp"
#include "domain_events/publish/publish_scope.hpp"
#include "domain_events/publish/trace_context.hpp"

namespace domain_events::detail {

/**
 * @brief The handler's own span as a child of the event's (same trace id, a new span id: the
 *        consumer's processing span, W3C's parent-id mutation), the event as the cause and its
 *        correlation id carried over. No trace context when the event has none.
 */
[[nodiscard]] inline publish_context handler_context(const event& e) {
    publish_context context{.correlation_id = e.metadata.correlation_id, .causation_id = e.event_id};
    if (e.metadata.traceparent) {
        if (const auto trace = trace_context::receive(*e.metadata.traceparent, e.metadata.tracestate.value_or(""))) {
            const auto span = trace->child();
            context.traceparent = span.traceparent();
            if (!span.tracestate().empty()) context.tracestate = span.tracestate();
        }
    }
    return context;
}

}  // namespace domain_events::detail
