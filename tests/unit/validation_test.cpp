#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <domain_events/validation.hpp>

namespace de = domain_events;

namespace {

de::event with_data(nlohmann::json data, std::string type = "patient.created") {
    return de::make_event(std::move(type), "patient", "1", 1, std::move(data));
}

// The field and message of the validation_error `e` raises under `rules`, or "valid".
std::string refusal(de::event e, const de::validation_rules& rules = {}) {
    try {
        (void)de::validate_event(e, rules);
    } catch (const de::validation_error& err) {
        return err.field() + " | " + err.what();
    }
    return "valid";
}

}  // namespace

TEST(validation, event_types_must_be_lower_case_resource_dot_action) {
    for (const char* good : {"patient.created", "lab_result.signed_off", "billing.invoice.paid", "v2.patient.created"}) {
        EXPECT_NO_THROW(de::validate_event_type(good)) << good;
    }
    for (const char* bad : {"Patient.Created", "patient", "patient..created", "patient.created!", ".patient.created",
                            "patient.created.", "", "patient created", "patient-created.x"}) {
        try {
            de::validate_event_type(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), "event_type");
            EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(refusal(with_data({}, "Patient.Created")).substr(0, 13), "event_type | ");
}

TEST(validation, aggregate_fields_are_checked) {
    auto e = with_data({});
    e.aggregate_type = "Patient";
    EXPECT_EQ(refusal(e).substr(0, 17), "aggregate_type | ");
    e = with_data({});
    e.aggregate_id = "";
    EXPECT_EQ(refusal(e).substr(0, 15), "aggregate_id | ");
    e = with_data({});
    e.aggregate_version = 0;
    EXPECT_EQ(refusal(e).substr(0, 20), "aggregate_version | ");
}

TEST(validation, an_envelope_over_the_size_limit_is_refused_naming_both_sizes) {
    const std::string big(2 * 1024 * 1024, 'x');
    const auto message = refusal(with_data({{"notes", big}}));
    EXPECT_EQ(message.substr(0, 7), "data | ") << message;
    EXPECT_NE(message.find("over the limit of 1048576 bytes"), std::string::npos) << message;

    de::validation_rules small{.max_payload_bytes = 2048};
    EXPECT_EQ(refusal(with_data({{"notes", std::string(1024, 'x')}}), small), "valid");
    EXPECT_NE(refusal(with_data({{"notes", std::string(4096, 'x')}}), small).find("limit of 2048"), std::string::npos);
}

TEST(validation, sensitive_fields_are_refused_with_their_nested_path) {
    EXPECT_EQ(refusal(with_data({{"credentials", {{"password", "hunter2"}}}})).substr(0, 30),
              "data.credentials.password | da");
    EXPECT_EQ(refusal(with_data({{"items", {{{"ok", 1}}, {{"ok", 2}}, {{"api_token", "t"}}}}})).substr(0, 25),
              "data.items[2].api_token |");
    EXPECT_EQ(refusal(with_data({{"name", "John"}, {"email", "j@x.org"}})), "valid");
}

TEST(validation, redact_policy_replaces_only_sensitive_values) {
    de::validation_rules rules{.on_sensitive = de::sensitive_field_policy::redact};
    auto e = with_data({{"name", "John"}, {"ssn", "123-45-6789"}, {"auth", {{"accessToken", "abc"}}}});
    const auto serialized = de::validate_event(e, rules);
    EXPECT_EQ(e.data["ssn"], "[REDACTED]");
    EXPECT_EQ(e.data["auth"]["accessToken"], "[REDACTED]");
    EXPECT_EQ(e.data["name"], "John");
    EXPECT_EQ(serialized.find("123-45-6789"), std::string::npos);
    EXPECT_EQ(serialized, de::serialize(e));
}

TEST(validation, sensitive_names_match_whole_words_only) {
    EXPECT_TRUE(de::is_sensitive_key("access_token", "token"));
    EXPECT_TRUE(de::is_sensitive_key("passwordHash", "password"));
    EXPECT_TRUE(de::is_sensitive_key("user_password", "password"));
    EXPECT_TRUE(de::is_sensitive_key("SSN", "ssn"));
    EXPECT_TRUE(de::is_sensitive_key("patient_national_id", "national_id"));
    EXPECT_TRUE(de::is_sensitive_key("nationalId", "national_id"));
    EXPECT_FALSE(de::is_sensitive_key("secretary", "secret"));
    EXPECT_FALSE(de::is_sensitive_key("tokenizer", "token"));
    EXPECT_FALSE(de::is_sensitive_key("national", "national_id"));
}

TEST(validation, the_sensitive_list_is_configurable) {
    de::validation_rules rules{.sensitive_fields = {"national_id"}};
    EXPECT_EQ(refusal(with_data({{"national_id", "AB123"}}), rules).substr(0, 19), "data.national_id | ");
    EXPECT_EQ(refusal(with_data({{"password", "x"}}), rules), "valid") << "only the configured names count";
}
