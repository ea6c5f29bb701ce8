// W3C Trace Context from a publish to a handler and on, on the mock cluster: the relay sends an
// event's trace as the `traceparent`/`tracestate` headers, a consumer gives it to the handler and
// runs the handler as a child span, so that an event the handler publishes keeps the trace id,
// has the consumer's span as its parent and the consumed event as its cause.
#include <gtest/gtest.h>

#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publish_scope.hpp>
#include <domain_events/publish/trace_context.hpp>

#include <optional>

#include "event_producer.hpp"
#include "interop_fixture.hpp"

namespace de = domain_events;

namespace {

constexpr const char* request_trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class tracing_hermetic : public de::testing::interop_fixture {
protected:
    tracing_hermetic() : interop_fixture("tracing") {}
};

TEST_F(tracing_hermetic, an_event_published_under_a_trace_reaches_kafka_with_the_traceparent_and_tracestate_headers) {
    const auto orders = service("orders.db");
    cluster.create_topic(topic("order.placed"), 1);
    {
        de::database db(orders.database_path);
        de::model_signals signals;
        de::publisher events(db, signals, orders);
        {
            const de::publish_scope request({.traceparent = request_trace, .tracestate = "rojo=00f067aa0ba902b7"});
            db.atomic([&] { events.publish(db, "order.placed", "order", "o-1", 1, {{"total", 12}}); });
        }
        db.atomic([&] { events.publish(db, "order.placed", "order", "o-2", 1, {{"total", 3}}); });
    }
    relay_all(orders);

    const auto sent = records("order.placed", 2);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].headers.at("traceparent"), request_trace);
    EXPECT_EQ(sent[0].headers.at("tracestate"), "rojo=00f067aa0ba902b7");
    EXPECT_EQ(sent[0].value.find("traceparent"), std::string::npos) << "headers, not the envelope";
    EXPECT_EQ(sent[1].headers.count("traceparent"), 0u) << "an event outside any trace has none";
    EXPECT_EQ(sent[1].headers.count("tracestate"), 0u);
}

// Event A is published under a trace; the shipping service's handler of A publishes B into its
// own outbox, in the consumer's transaction; B goes out through its own relay.
TEST_F(tracing_hermetic, a_chain_of_two_events_keeps_one_trace_id_with_the_consumers_span_as_the_parent) {
    const auto orders = service("orders.db");
    const auto shipping = service("shipping.db");
    cluster.create_topic(topic("order.placed"), 1);
    cluster.create_topic(topic("shipment.requested"), 1);
    de::event a;
    {
        de::database db(orders.database_path);
        de::model_signals signals;
        de::publisher events(db, signals, orders);
        const de::publish_scope request({.correlation_id = "checkout-7", .traceparent = request_trace});
        a = db.atomic([&] { return events.publish(db, "order.placed", "order", "o-1", 1, {{"total", 12}}); });
    }
    relay_all(orders);

    de::database shipping_db(shipping.database_path);
    de::model_signals shipping_signals;
    de::publisher shipments(shipping_db, shipping_signals, shipping);  // its outbox, in the consumer's file
    auto o = reader({"order.placed"}, "shipping.db");
    o.max_events = 1;
    de::consumer consumer(shipping, o);
    std::optional<de::event> handled;
    de::publish_context handler_scope;
    consumer.on("order.placed", [&](const de::event& e, de::database& db) {
        handled = e;
        handler_scope = de::publish_scope::current();
        shipments.publish(db, "shipment.requested", "shipment", "s-" + e.aggregate_id, 1, {{"order", e.aggregate_id}});
    });
    ASSERT_EQ(consumer.run().applied, 1u);

    ASSERT_TRUE(handled);
    EXPECT_EQ(handled->metadata.traceparent, request_trace) << "the handler is given the event's trace";
    const auto span = de::trace_context::parse(handler_scope.traceparent.value_or(""));
    EXPECT_EQ(span.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_NE(span.parent_id(), "00f067aa0ba902b7") << "the handler runs as a new span, child of the event's";

    const auto rows = de::outbox(shipping_db).next_batch(10);
    ASSERT_EQ(rows.size(), 1u);
    const auto b = de::parse_event(rows[0].payload);
    EXPECT_EQ(b.metadata.causation_id, a.event_id);
    EXPECT_EQ(b.metadata.correlation_id, "checkout-7");
    ASSERT_TRUE(rows[0].traceparent);
    const auto b_trace = de::trace_context::parse(*rows[0].traceparent);
    EXPECT_EQ(b_trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736") << "one trace id through the chain";
    EXPECT_EQ(b_trace.parent_id(), span.parent_id()) << "B's parent is the consumer's span";

    relay_all(shipping);
    const auto sent = records("shipment.requested", 1);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].headers.at("traceparent"), b_trace.traceparent());
}

// What arrives from another producer is never a reason to dead-letter: a bad traceparent is
// dropped (the trace restarts) and the event applied.
TEST_F(tracing_hermetic, a_malformed_traceparent_from_another_producer_is_dropped_and_the_event_applied) {
    const auto c = service("reader.db");
    cluster.create_topic(topic("order.placed"), 1);
    auto e = de::make_event("order.placed", "order", "o-1", 1, {{"total", 1}});
    de::testing::produce_all(cluster.bootstrap_servers(),
                             {{.topic = topic("order.placed"), .key = "o-1", .value = de::serialize(e),
                               .headers = {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
                                           {"tracestate", "rojo=1"}}}});
    auto o = reader({"order.placed"}, "reader.db");
    o.max_events = 1;
    de::consumer consumer(c, o);
    std::optional<de::event> handled;
    de::publish_context handler_scope{.traceparent = "not seen"};
    consumer.on("order.placed", [&](const de::event& got, de::database&) {
        handled = got;
        handler_scope = de::publish_scope::current();
    });
    const auto counters = consumer.run();
    EXPECT_EQ(counters.applied, 1u);
    EXPECT_EQ(counters.dead_lettered, 0u);
    ASSERT_TRUE(handled);
    EXPECT_FALSE(handled->metadata.traceparent);
    EXPECT_FALSE(handled->metadata.tracestate) << "a tracestate is not read without a valid traceparent";
    EXPECT_FALSE(handler_scope.traceparent);
    EXPECT_EQ(handler_scope.causation_id, e.event_id);
}

}  // namespace
