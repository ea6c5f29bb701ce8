// `domain-events validate` (envelope_problems) and a consumer (its message check, then its
// sensitive-field scan) decide with one set of rules: over the fuzz corpora and the cases that
// once differed, what one accepts the other applies, and what one refuses the other dead-letters.
#include <gtest/gtest.h>

#include <domain_events/event.hpp>
#include <domain_events/publish/validation.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "consume/message_check.hpp"
#include "publish/sensitive_scan.hpp"

namespace de = domain_events;

namespace {

bool consumer_applies(const std::string& value, const de::validation_rules& rules) {
    auto checked = de::detail::check_value(value, {rules.max_payload_bytes, rules.max_depth});
    if (!checked.parsed) return false;
    try {
        de::detail::sensitive_scan(rules, nullptr, de::detail::refused_at_consumer).visit(checked.parsed->data, "data");
    } catch (const de::validation_error&) {
        return false;
    }
    return true;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect_agreement(const std::string& value, const std::string& what) {
    for (const auto policy : {de::sensitive_field_policy::refuse, de::sensitive_field_policy::redact}) {
        de::validation_rules rules;
        rules.on_sensitive = policy;
        const auto problems = de::envelope_problems(value, rules);
        EXPECT_EQ(problems.empty(), consumer_applies(value, rules))
            << what << (problems.empty() ? ": validate accepts what a consumer dead-letters"
                                         : ": validate refuses what a consumer applies (" +
                                               std::string(problems.front().what()) + ")");
    }
}

std::string envelope_with(const std::string& field, const nlohmann::json& value) {
    auto e = de::to_json(de::make_event("patient.created", "patient", "p-1", 1, {{"name", "x"}}));
    e[nlohmann::json::json_pointer(field)] = value;
    return e.dump();
}

TEST(validate_agrees_with_consumer, on_every_file_of_the_fuzz_corpora) {
    std::size_t files = 0;
    for (const auto* corpus : {"consumer_message", "envelope"}) {
        for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(DOMAIN_EVENTS_FUZZ_CORPUS) / corpus)) {
            expect_agreement(read_file(entry.path()), entry.path().filename().string());
            ++files;
        }
    }
    EXPECT_GE(files, 20u) << "the corpora were not found under " << DOMAIN_EVENTS_FUZZ_CORPUS;
}

TEST(validate_agrees_with_consumer, on_the_fields_each_rule_checks) {
    expect_agreement(envelope_with("/metadata/version", "2.0"), "metadata.version 2.0");
    expect_agreement(envelope_with("/metadata/version", "1.7"), "metadata.version 1.7");
    expect_agreement(envelope_with("/event_type", "Patient.Created"), "an event type out of the rule");
    expect_agreement(envelope_with("/aggregate_type", "lab-result"), "an aggregate type out of the rule");
    expect_agreement(envelope_with("/aggregate_version", 0), "aggregate_version 0");
    expect_agreement(envelope_with("/aggregate_id", ""), "an empty aggregate id");
    expect_agreement(envelope_with("/event_id", "not-a-uuid"), "an event id that is not a UUID");
    expect_agreement(envelope_with("/data", nlohmann::json::array()), "data that is an array");
    expect_agreement(envelope_with("/data/password", "hunter2"), "a sensitive field");
    expect_agreement(envelope_with("/data/filler", std::string(2 << 20, 'x')), "an envelope over the size limit");
}

}  // namespace
