#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/publish/kafka_record.hpp>
#include <domain_events/publish/validation.hpp>

namespace de = domain_events;
using json = nlohmann::json;

namespace {

de::event with_data(json data, std::string type = "patient.created") {
    return de::make_event(std::move(type), "patient", "1", 1, std::move(data));
}

// "<field> | <what()>" of the validation_error `e` raises under `rules`, or "valid".
std::string refusal(de::event e, const de::validation_rules& rules = {}) {
    try {
        (void)de::validate_event(e, rules);
    } catch (const de::validation_error& err) {
        return err.field() + " | " + err.what();
    }
    return "valid";
}

// The field `validate_event` refuses, or "valid".
std::string refused_field(de::event e, const de::validation_rules& rules = {}) {
    const auto message = refusal(std::move(e), rules);
    return message.substr(0, message.find(" | "));
}

}  // namespace

TEST(validation, event_types_must_be_lower_case_resource_dot_action) {
    for (const char* good : {"patient.created", "lab_result.signed_off", "billing.invoice.paid", "v2.patient.created"}) {
        EXPECT_NO_THROW(de::validate_event_type(good)) << good;
    }
    for (const char* bad : {"Patient.Created", "patient", "patient..created", "patient.created!", ".patient.created",
                            "patient.created.", "", ".", "patient created", "patient-created.x", "patient.créé"}) {
        try {
            de::validate_event_type(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "event_type");
            EXPECT_EQ(std::string(e.what()), std::string("event_type: '") + bad +
                                                 "' is not resource.action: it must match "
                                                 "^[a-z0-9_]+(\\.[a-z0-9_]+)+$, e.g. patient.created");
        }
    }
    EXPECT_EQ(refused_field(with_data({}, "Patient.Created")), "event_type");
}

TEST(validation, aggregate_types_are_single_lower_case_words) {
    EXPECT_NO_THROW(de::validate_aggregate_type("lab_result2"));
    for (const char* bad : {"Patient", "patient.record", "", "lab-result", "patient "}) {
        try {
            de::validate_aggregate_type(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "aggregate_type");
            EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "' must match ^[a-z0-9_]+$"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(validation, aggregate_fields_and_the_event_id_are_checked) {
    auto e = with_data({});
    e.aggregate_type = "Patient";
    EXPECT_EQ(refused_field(e), "aggregate_type");
    e = with_data({});
    e.aggregate_id = "";
    EXPECT_EQ(refusal(e), "aggregate_id | aggregate_id: must not be empty");
    e = with_data({});
    e.aggregate_version = 0;
    EXPECT_EQ(refusal(e).substr(0, 43), "aggregate_version | aggregate_version: 0 mu");
    e.aggregate_version = -3;
    EXPECT_EQ(refused_field(e), "aggregate_version");
    e = with_data({});
    e.event_id = "42";
    EXPECT_EQ(refusal(e), "event_id | event_id: is not a UUID (8-4-4-4-12 hexadecimal digits)");
    e = with_data(json::array({1}));
    EXPECT_EQ(refusal(e), "data | data: must be a JSON object, got array");
    EXPECT_EQ(refusal(with_data({{"name", "John"}})), "valid");
}

TEST(validation, an_event_whose_kafka_record_is_over_the_size_limit_is_refused_naming_its_size_and_the_limit) {
    const auto two_mib = with_data({{"notes", std::string(2 * 1024 * 1024, 'x')}});
    const auto envelope = de::serialize(two_mib).size();
    // The record as Kafka counts it: the envelope, the key, the headers and their framing.
    const auto size = de::kafka_record_bytes(two_mib, de::serialize(two_mib));
    EXPECT_GT(size, envelope + two_mib.aggregate_id.size() + two_mib.event_id.size() + two_mib.event_type.size());
    EXPECT_EQ(refusal(two_mib), "data | data: the Kafka record is " + std::to_string(size) + " bytes (envelope " +
                                    std::to_string(envelope) +
                                    ", with key, headers and framing), over the limit of 1048576 bytes "
                                    "(max_payload_bytes)");
    EXPECT_EQ(refusal(two_mib, {.max_payload_bytes = 3 * 1024 * 1024}), "valid") << "the limit is configurable";
    EXPECT_EQ(refusal(two_mib, {.max_payload_bytes = size}), "valid") << "the limit itself is allowed";
    EXPECT_NE(refusal(two_mib, {.max_payload_bytes = size - 1}).find("over the limit of " + std::to_string(size - 1)),
              std::string::npos);
}

TEST(validation, the_accepted_envelope_is_returned_serialized) {
    auto e = with_data({{"name", "John"}});
    EXPECT_EQ(de::validate_event(e, {}), de::serialize(e));
}

TEST(validation, text_that_is_not_utf8_is_refused_not_thrown_as_a_json_error) {
    EXPECT_EQ(refused_field(with_data({{"name", "Zo\xeb"}})), "envelope");
}

TEST(validation, sensitive_fields_are_refused_with_their_nested_path_and_without_their_value) {
    const auto message = refusal(with_data({{"credentials", {{"password", "hunter2"}}}}));
    EXPECT_EQ(message.substr(0, 28), "data.credentials.password | ") << message;
    EXPECT_NE(message.find("matches 'password'"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << "the secret must not reach logs: " << message;
    EXPECT_EQ(refused_field(with_data(json::parse(R"({"items": [{"ok": 1}, {"ok": 2}, {"api_token": "t"}]})"))),
              "data.items[2].api_token");
    EXPECT_EQ(refused_field(with_data(json::parse(R"({"a": {"b": [{"c": {"secret": 1}}]}})"))),
              "data.a.b[0].c.secret");
    EXPECT_EQ(refused_field(with_data({{"ssn", nullptr}})), "data.ssn") << "the name counts, whatever the value";
}

TEST(validation, redact_policy_replaces_only_sensitive_values) {
    const de::validation_rules rules{.on_sensitive = de::sensitive_field_policy::redact};
    auto e = with_data(json::parse(R"({"name": "John", "ssn": "123-45-6789",
                                       "auth": {"accessToken": "abc", "scheme": "bearer"},
                                       "items": [{"token": {"nested": 1}}, {"count": 2}]})"));
    const auto serialized = de::validate_event(e, rules);
    EXPECT_EQ(e.data, json::parse(R"({"name": "John", "ssn": "[REDACTED]",
                                      "auth": {"accessToken": "[REDACTED]", "scheme": "bearer"},
                                      "items": [{"token": "[REDACTED]"}, {"count": 2}]})"));
    EXPECT_EQ(serialized.find("123-45-6789"), std::string::npos);
    EXPECT_EQ(serialized, de::serialize(e));
}

TEST(validation, sensitive_names_match_whole_words_only) {
    for (const auto& [key, name] : std::vector<std::pair<const char*, const char*>>{
             {"token", "token"},
             {"access_token", "token"},
             {"passwordHash", "password"},
             {"user_password", "password"},
             {"user-password", "password"},
             {"SSN", "ssn"},
             {"userSSN", "ssn"},
             {"HTTPToken", "token"},
             {"client__secret", "secret"},
             {"patient_national_id", "national_id"},
             {"nationalId", "national_id"},
             {"national_id", "nationalId"},
         }) {
        EXPECT_TRUE(de::is_sensitive_key(key, name)) << key << " ~ " << name;
    }
    for (const auto& [key, name] : std::vector<std::pair<const char*, const char*>>{
             {"secretary", "secret"},
             {"tokenizer", "token"},
             {"tokens", "token"},
             {"passwords_policy_version", "password"},
             {"national", "national_id"},
             {"national_identity", "national_id"},
             {"id_national", "national_id"},
             {"anything", ""},
             {"anything", "__"},
         }) {
        EXPECT_FALSE(de::is_sensitive_key(key, name)) << key << " ~ " << name;
    }
    EXPECT_EQ(refusal(with_data({{"secretary", "Ann"}, {"tokenizer", "bpe"}})), "valid");
    EXPECT_EQ(refused_field(with_data({{"profile", {{"passwordHash", "x"}}}})), "data.profile.passwordHash");
}

TEST(validation, the_sensitive_list_is_configurable) {
    const de::validation_rules rules{.sensitive_fields = {"national_id"}};
    EXPECT_EQ(refused_field(with_data({{"national_id", "AB123"}}), rules), "data.national_id");
    EXPECT_EQ(refused_field(with_data({{"patient", {{"nationalId", "AB123"}}}}), rules), "data.patient.nationalId");
    EXPECT_EQ(refusal(with_data({{"password", "x"}}), rules), "valid") << "only the configured names count";
    EXPECT_EQ(refusal(with_data({{"password", "x"}}), {.sensitive_fields = {}}), "valid");
}

namespace {

std::vector<std::string> problem_fields(const std::vector<de::validation_error>& problems) {
    std::vector<std::string> fields;
    for (const auto& p : problems) fields.push_back(p.field());
    return fields;
}

TEST(envelope_problems, a_valid_envelope_has_none) {
    const auto e = with_data({{"name", "John Doe"}});
    EXPECT_TRUE(de::envelope_problems(de::serialize(e), {}).empty());
}

TEST(envelope_problems, every_problem_is_reported_not_only_the_first) {
    auto envelope = de::to_json(with_data({{"password", "x"}, {"nested", {{"api_token", "y"}}}}));
    envelope["event_id"] = "not-a-uuid";
    envelope["event_type"] = "Patient Created";
    envelope.erase("timestamp");
    envelope["aggregate_version"] = "4";
    envelope["aggregate_id"] = "";
    envelope["metadata"].erase("source");
    const auto problems = de::envelope_problems(envelope.dump(), {});
    EXPECT_EQ(problem_fields(problems),
              (std::vector<std::string>{"event_id", "timestamp", "aggregate_version", "metadata.source", "event_type",
                                        "aggregate_id", "data.nested.api_token", "data.password"}));
    for (const auto& p : problems) EXPECT_EQ(std::string(p.what()).find("\"x\""), std::string::npos) << p.what();
}

TEST(envelope_problems, text_that_is_not_an_object_is_one_problem_naming_the_envelope) {
    EXPECT_EQ(problem_fields(de::envelope_problems("{\"event_id\":", {})), (std::vector<std::string>{"envelope"}));
    EXPECT_EQ(problem_fields(de::envelope_problems("[1, 2]", {})), (std::vector<std::string>{"envelope"}));
}

TEST(envelope_problems, the_size_limit_and_the_redact_policy_follow_the_rules) {
    const auto e = with_data({{"token", std::string(200, 'a')}});
    de::validation_rules rules;
    rules.max_payload_bytes = 100;
    rules.on_sensitive = de::sensitive_field_policy::redact;
    EXPECT_EQ(problem_fields(de::envelope_problems(de::serialize(e), rules)), (std::vector<std::string>{"data"}));
}

}  // namespace
