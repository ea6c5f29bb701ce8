// The publisher captures each event's W3C trace context, correlation and causation: from the
// call, else from the thread's publish scope; it refuses a malformed explicit value naming the
// field, and stores the trace with the event in the outbox.
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/publish/kafka_record.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publisher.hpp>

#include "prefixed_config.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;

namespace {

constexpr const char* scope_trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr const char* call_trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";

class publisher_trace : public ::testing::Test {
protected:
    de::event publish(const de::publish_context& context = {}) {
        return db_.atomic([&] { return events_.publish(db_, "order.placed", "order", "o-1", next_++, {{"n", 1}}, context); });
    }
    std::vector<de::outbox_record> rows() { return de::outbox(db_).next_batch(100); }

    de::testing::temp_dir dir_;
    de::database db_{dir_.file("app.db")};
    de::model_signals signals_;
    de::publisher events_{db_, signals_, de::testing::prefixed_config()};
    std::int64_t next_ = 1;
};

TEST_F(publisher_trace, an_event_takes_the_trace_correlation_and_causation_of_the_scope_it_is_published_in) {
    const auto outside = publish();
    EXPECT_FALSE(outside.metadata.traceparent);
    const de::publish_scope scope(
        {.correlation_id = "req-9", .causation_id = "cmd-3", .traceparent = scope_trace, .tracestate = "rojo=1"});
    const auto inside = publish();
    EXPECT_EQ(inside.metadata.traceparent, scope_trace);
    EXPECT_EQ(inside.metadata.tracestate, "rojo=1");
    EXPECT_EQ(inside.metadata.correlation_id, "req-9");
    EXPECT_EQ(inside.metadata.causation_id, "cmd-3");
    const auto stored = rows();
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_FALSE(stored[0].traceparent);
    EXPECT_EQ(stored[1].traceparent, scope_trace);
    EXPECT_EQ(stored[1].tracestate, "rojo=1");
    EXPECT_EQ(stored[1].correlation_id, "req-9");
    EXPECT_EQ(de::parse_event(stored[1].payload).metadata.causation_id, "cmd-3");
    EXPECT_EQ(stored[1].payload.find("traceparent"), std::string::npos) << "the trace is sent as headers, not in the envelope";
}

TEST_F(publisher_trace, the_calls_own_values_win_and_its_traceparent_never_takes_the_scopes_tracestate) {
    const de::publish_scope scope({.correlation_id = "req-9", .traceparent = scope_trace, .tracestate = "rojo=1"});
    const auto e = publish({.correlation_id = "req-own", .traceparent = call_trace});
    EXPECT_EQ(e.metadata.correlation_id, "req-own");
    EXPECT_EQ(e.metadata.traceparent, call_trace);
    EXPECT_FALSE(e.metadata.tracestate);
    auto built = de::make_event("order.paid", "order", "o-1", next_++, nlohmann::json::object());
    built.metadata.traceparent = "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-later";
    const auto written = db_.atomic([&] { return events_.publish(db_, built); });
    EXPECT_EQ(written.metadata.traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    EXPECT_EQ(written.metadata.correlation_id, "req-9");
}

TEST_F(publisher_trace, a_malformed_explicit_trace_is_a_validation_error_naming_the_field_and_nothing_is_written) {
    const auto field_of = [&](const de::publish_context& context) {
        try {
            publish(context);
        } catch (const de::validation_error& e) {
            --next_;
            return e.field();
        }
        return std::string("accepted");
    };
    EXPECT_EQ(field_of({.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}), "metadata.traceparent");
    EXPECT_EQ(field_of({.traceparent = scope_trace, .tracestate = "Upper=1"}), "metadata.tracestate");
    EXPECT_EQ(field_of({.tracestate = "rojo=1"}), "metadata.tracestate");
    EXPECT_TRUE(rows().empty());
}

TEST_F(publisher_trace, the_size_limit_counts_the_trace_headers) {
    de::config tight = de::testing::prefixed_config();
    tight.validation.max_payload_bytes = 1024;
    de::publisher small(db_, signals_, tight);
    // An event whose record is just under the limit without trace headers is over it with them.
    const auto record_without_trace = [&](const std::string& filler) {
        auto e = de::make_event("order.placed", "order", "o-2", 1, {{"f", filler}});
        return de::kafka_record_bytes(e, de::serialize(e));
    };
    std::string filler(400, 'x');
    while (record_without_trace(filler) < 1024 - 20) filler += 'x';
    ASSERT_LE(record_without_trace(filler), 1024u);
    EXPECT_NO_THROW(db_.atomic([&] { small.publish(db_, "order.placed", "order", "o-2", 1, {{"f", filler}}); }));
    EXPECT_THROW(db_.atomic([&] {
                     small.publish(db_, "order.placed", "order", "o-3", 1, {{"f", filler}}, {.traceparent = scope_trace});
                 }),
                 de::validation_error);
}

}  // namespace
