// What a consumer says about a hostile message, in its dead letter's dlq.error, its log lines and
// its status (/health/detailed), is bounded whatever the message holds: an event_type of 500 KB
// was quoted whole in each, and a handler's exception text (which may quote the event) too.
#include <gtest/gtest.h>

#include <domain_events/publish/validation.hpp>

#include <string>

#include "consume/consumer_progress.hpp"
#include "consume/error_text.hpp"
#include "consume/message_check.hpp"

namespace de = domain_events;
namespace dd = domain_events::detail;

namespace {

constexpr std::size_t hostile_bytes = 500'000;

std::string envelope_with_types(const std::string& event_type, const std::string& aggregate_type) {
    return R"({"event_id":"01934b7e-6c2a-7d3e-9f10-0123456789ab","event_type":")" + event_type +
           R"(","timestamp":"2026-11-23T10:00:00.123Z","aggregate_type":")" + aggregate_type +
           R"(","aggregate_id":"42","aggregate_version":1,"data":{},"metadata":{"source":"api","version":"1.0"}})";
}

dd::message_problem problem_of(const std::string& value) {
    const auto checked = dd::check_value(value, {1 << 20, 64});
    EXPECT_FALSE(checked.parsed);
    return checked.problem.value_or(dd::message_problem{de::dead_letter_reason::not_json, "accepted"});
}

}  // namespace

TEST(consumer_error_text, an_event_type_of_500_kb_is_named_with_its_size_not_quoted_whole) {
    const auto problem = problem_of(envelope_with_types(std::string(hostile_bytes, 'X'), "patient"));
    EXPECT_EQ(problem.reason, de::dead_letter_reason::invalid_envelope);
    EXPECT_LT(problem.text.size(), 300u) << problem.text.substr(0, 300);
    EXPECT_NE(problem.text.find("event_type"), std::string::npos) << problem.text.substr(0, 300);
    EXPECT_NE(problem.text.find("(500000 bytes)"), std::string::npos) << problem.text.substr(0, 300);
}

TEST(consumer_error_text, an_aggregate_type_of_500_kb_is_named_with_its_size_not_quoted_whole) {
    const auto problem = problem_of(envelope_with_types("patient.created", std::string(hostile_bytes, '-')));
    EXPECT_EQ(problem.reason, de::dead_letter_reason::invalid_envelope);
    EXPECT_LT(problem.text.size(), 300u) << problem.text.substr(0, 300);
    EXPECT_NE(problem.text.find("aggregate_type"), std::string::npos) << problem.text.substr(0, 300);
}

TEST(consumer_error_text, a_short_bad_name_is_still_quoted_whole) {
    EXPECT_NE(problem_of(envelope_with_types("Patient.Created", "patient")).text.find("'Patient.Created' is not"),
              std::string::npos);
}

// The last error, served by /health/detailed: a handler's text of any length.
TEST(consumer_error_text, the_status_keeps_at_most_1_kib_of_an_error) {
    dd::consumer_progress progress;
    progress.error("handler for patient.created event 1: " + std::string(hostile_bytes, 'e'));
    const auto kept = progress.take().last_error;
    EXPECT_LE(kept.size(), dd::max_error_text_bytes);
    EXPECT_EQ(kept.rfind("handler for patient.created event 1: eee", 0), 0u);
}
