// W3C Trace Context, every rule: traceparent (version 00, all-zero ids, version ff, later
// versions) and tracestate (keys, values, members, size), strictly at publish and leniently for
// what arrives from outside; a child span; the publish scope a thread runs under.
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/publish/publish_scope.hpp>
#include <domain_events/publish/trace_context.hpp>

#include <set>
#include <thread>

namespace de = domain_events;

namespace {

constexpr std::string_view valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The error's field and message, or "accepted".
std::string refusal(std::string_view traceparent, std::string_view tracestate = {}) {
    try {
        static_cast<void>(de::trace_context::parse(traceparent, tracestate));
        return "accepted";
    } catch (const de::validation_error& e) {
        return e.what();
    }
}

std::string members(std::size_t count, std::size_t value_size = 1, const std::string& key = "k") {
    std::string list;
    for (std::size_t i = 0; i < count; ++i) list += (i ? "," : "") + (key + std::to_string(i)) + "=" + std::string(value_size, 'v');
    return list;
}

TEST(trace_context, a_version_00_traceparent_reads_its_ids_and_flags) {
    const auto trace = de::trace_context::parse(valid);
    EXPECT_EQ(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(trace.parent_id(), "00f067aa0ba902b7");
    EXPECT_EQ(trace.flags(), 1);
    EXPECT_EQ(trace.traceparent(), valid);
    EXPECT_EQ(trace.tracestate(), "");
}

TEST(trace_context, traceparent_rules_are_each_refused_naming_the_field_and_the_rule) {
    EXPECT_EQ(refusal(valid), "accepted");
    EXPECT_EQ(refusal("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").rfind("metadata.traceparent: ", 0), 0u);
    EXPECT_NE(refusal("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").find("32 lower-case hexadecimal"), std::string::npos);
    EXPECT_NE(refusal("00-00000000000000000000000000000000-00f067aa0ba902b7-01").find("trace id must not be all zeros"), std::string::npos);
    EXPECT_NE(refusal("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01").find("parent id must not be all zeros"), std::string::npos);
    EXPECT_NE(refusal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902g7-01").find("parent id must be 16"), std::string::npos);
    EXPECT_NE(refusal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x").find("flags"), std::string::npos);
    EXPECT_NE(refusal("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").find("version ff is forbidden"), std::string::npos);
    EXPECT_NE(refusal(std::string(valid) + "-extra").find("version 00 is 55 characters"), std::string::npos);
    EXPECT_NE(refusal(valid.substr(0, 54)).find("version 00 is 55 characters"), std::string::npos);
    EXPECT_NE(refusal("0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").find("must start with a version"), std::string::npos);
    EXPECT_NE(refusal("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01").find("must start with a version"), std::string::npos);
    EXPECT_NE(refusal("").find("must start with a version"), std::string::npos);
}

TEST(trace_context, a_later_version_is_read_as_the_spec_says_and_written_as_version_00) {
    const auto later = de::trace_context::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-comes-next");
    EXPECT_EQ(later.traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");  // only the sampled bit
    EXPECT_EQ(de::trace_context::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").flags(), 0);
    EXPECT_NE(refusal("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x").find("followed by '-'"), std::string::npos);
    EXPECT_NE(refusal("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0").find("shorter than the 55"), std::string::npos);
}

TEST(trace_context, a_tracestate_is_written_without_blanks_and_empty_members) {
    const auto trace = de::trace_context::parse(valid, " rojo=00f067aa0ba902b7 ,\t, congo=t61rcWkgMzE,");
    EXPECT_EQ(trace.tracestate(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    EXPECT_EQ(de::trace_context::parse(valid, "a= leading space kept").tracestate(), "a= leading space kept");
    EXPECT_EQ(de::trace_context::parse(valid, "tenant@system=1,0digit/key*_-=v").tracestate(), "tenant@system=1,0digit/key*_-=v");
}

TEST(trace_context, tracestate_rules_are_each_refused_naming_the_field_and_never_the_value) {
    const auto state = [](std::string_view tracestate) { return refusal(valid, tracestate); };
    EXPECT_EQ(state("Rojo=1").rfind("metadata.tracestate: member 1 has a key", 0), 0u);
    EXPECT_NE(state("_rojo=1").find("has a key"), std::string::npos);
    EXPECT_NE(state("rojo").find("is not key=value"), std::string::npos);
    EXPECT_NE(state("rojo=").find("has a value"), std::string::npos);
    EXPECT_NE(state("rojo=a=b").find("has a value"), std::string::npos);
    EXPECT_NE(state("rojo=secret\x01value").find("has a value"), std::string::npos);
    EXPECT_EQ(state("rojo=secret\x01value").find("secret"), std::string::npos) << "a value is never echoed";
    EXPECT_NE(state("rojo=1,rojo=2").find("the key 'rojo' twice"), std::string::npos);
    EXPECT_EQ(state("k=" + std::string(256, 'v')), "accepted");
    EXPECT_NE(state("k=" + std::string(257, 'v')).find("has a value"), std::string::npos);
    EXPECT_EQ(state(std::string(256, 'k') + "=v"), "accepted");
    EXPECT_NE(state(std::string(257, 'k') + "=v").find("has a key"), std::string::npos);
    EXPECT_EQ(state(members(32)), "accepted");
    EXPECT_NE(state(members(33)).find("more than 32 members"), std::string::npos);
    // 512 characters at most, as written.
    const auto four = members(4, 123);  // "kN=" + 123 = 126 each, 4 * 126 + 3 commas = 507
    EXPECT_EQ(state(four + ",ab=c"), "accepted");                // 512
    EXPECT_NE(state(four + ",ab=cd").find("513 characters"), std::string::npos);
    EXPECT_EQ(refusal(std::string(valid), ",,"), "accepted");
}

TEST(trace_context, what_arrives_from_outside_is_never_refused_a_bad_traceparent_restarts_the_trace) {
    EXPECT_FALSE(de::trace_context::receive("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "rojo=1"));
    EXPECT_FALSE(de::trace_context::receive("garbage", ""));
    const auto kept = de::trace_context::receive(valid, "Bad=1,rojo=1,rojo=2,congo=x=y,congo=t61");
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->tracestate(), "rojo=1,congo=t61") << "bad members dropped, each key's first kept";
    EXPECT_EQ(de::trace_context::receive(valid, members(40))->tracestate(), members(32));
}

TEST(trace_context, a_received_tracestate_is_cut_to_512_characters_long_members_first_then_from_the_end) {
    const std::string long_member = "long=" + std::string(200, 'x');
    const auto cut = de::trace_context::receive(valid, members(2, 150) + "," + long_member + "," + members(3, 50, "s"));
    ASSERT_TRUE(cut);
    // The last member over 128 characters goes first; then 2 * 153 + 3 * 53 + 4 commas = 469 fit.
    EXPECT_EQ(cut->tracestate(), members(2, 150) + "," + members(3, 50, "s"));
    const auto from_the_end = de::trace_context::receive(valid, members(8, 70));  // 8 * 73 + 7 = 591
    EXPECT_EQ(from_the_end->tracestate(), members(6, 70));                         // 7 * 73 + 6 = 517 is still over
}

TEST(trace_context, a_child_keeps_the_trace_its_flags_and_state_with_a_new_span_id) {
    const auto parent = de::trace_context::parse(valid, "rojo=1");
    std::set<std::string> spans;
    for (int i = 0; i < 20; ++i) {
        const auto child = parent.child();
        EXPECT_EQ(child.trace_id(), parent.trace_id());
        EXPECT_EQ(child.flags(), parent.flags());
        EXPECT_EQ(child.tracestate(), "rojo=1");
        EXPECT_NE(child.parent_id(), parent.parent_id());
        EXPECT_EQ(de::trace_context::parse(child.traceparent()).traceparent(), child.traceparent()) << "a valid one";
        spans.insert(std::string(child.parent_id()));
    }
    EXPECT_EQ(spans.size(), 20u);
}

TEST(publish_scope, sets_the_threads_context_nests_and_restores_it) {
    EXPECT_EQ(de::publish_scope::current(), de::publish_context{});
    {
        const de::publish_scope outer({.correlation_id = "req-1", .causation_id = "cmd-1",
                                       .traceparent = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                       .tracestate = " rojo=1 "});
        EXPECT_EQ(de::publish_scope::current().traceparent, valid) << "kept in its written form";
        EXPECT_EQ(de::publish_scope::current().tracestate, "rojo=1");
        {
            const de::publish_scope inner({.causation_id = "event-2"});
            const auto& now = de::publish_scope::current();
            EXPECT_EQ(now.causation_id, "event-2");
            EXPECT_EQ(now.correlation_id, "req-1") << "what the inner scope leaves unset comes from the outer";
            EXPECT_EQ(now.traceparent, valid);
            std::thread([] { EXPECT_EQ(de::publish_scope::current(), de::publish_context{}) << "per thread"; }).join();
        }
        EXPECT_EQ(de::publish_scope::current().causation_id, "cmd-1");
    }
    EXPECT_EQ(de::publish_scope::current(), de::publish_context{});
}

TEST(publish_scope, a_malformed_trace_is_refused_when_the_scope_opens) {
    EXPECT_THROW(de::publish_scope{de::publish_context{.traceparent = "00-nope"}}, de::validation_error);
    try {
        const de::publish_scope scope({.tracestate = "rojo=1"});
        FAIL() << "a tracestate without a traceparent was accepted";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "tracestate");
    }
    EXPECT_EQ(de::publish_scope::current(), de::publish_context{});
}

}  // namespace
