// The clinic's patients: each write records its event with the right envelope in the same
// transaction; bad input and missing patients write nothing; the national id never leaves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <healthcore/errors.hpp>

#include "clinic_fixture.hpp"

namespace de = domain_events;
namespace hc = healthcore;
using ::testing::HasSubstr;
using ::testing::Not;
using hc::testing::ada;

namespace {

class patient_repository_test : public hc::testing::clinic_test {};

TEST_F(patient_repository_test, create_records_patient_created_with_every_public_field) {
    const auto p = patients.create(ada(), {.correlation_id = "req-7", .causation_id = std::nullopt});
    EXPECT_GT(p.id, 0);
    EXPECT_EQ(p.version, 1);

    const auto e = last_event();
    EXPECT_EQ(e.event_type, "patient.created");
    EXPECT_EQ(e.aggregate_type, "patient");
    EXPECT_EQ(e.aggregate_id, std::to_string(p.id));
    EXPECT_EQ(e.aggregate_version, 1);
    EXPECT_EQ(e.metadata.correlation_id, "req-7");
    EXPECT_EQ(e.data, hc::event_data(p));
    EXPECT_EQ(e.data.at("patient_id"), p.id);
    EXPECT_EQ(e.data.at("name"), "Ada Lovelace");
    EXPECT_EQ(e.data.at("email"), "ada@example.org");
    EXPECT_EQ(e.data.at("date_of_birth"), "1815-12-10");
    EXPECT_FALSE(e.data.contains("national_id"));

    EXPECT_EQ(patients.get(p.id).national_id, "NID-ADA-1815");  // stored, just never published
}

TEST_F(patient_repository_test, update_records_only_the_changed_fields_and_their_new_values) {
    const auto p = patients.create(ada());
    // The name is given but unchanged: it is not a changed field.
    const auto updated = patients.update(p.id, {.name = "Ada Lovelace", .email = "ada@analytical.org", .phone = ""});
    EXPECT_EQ(updated.version, 2);
    EXPECT_EQ(patients.get(p.id).email, "ada@analytical.org");

    const auto e = last_event();
    EXPECT_EQ(e.event_type, "patient.updated");
    EXPECT_EQ(e.aggregate_id, std::to_string(p.id));
    EXPECT_EQ(e.aggregate_version, 2);
    EXPECT_EQ(e.data, (nlohmann::json{{"email", "ada@analytical.org"},
                                      {"phone", ""},
                                      {"changed_fields", {"email", "phone"}}}));
}

TEST_F(patient_repository_test, an_update_that_changes_nothing_writes_nothing) {
    const auto p = patients.create(ada());
    const auto before = snapshot();
    const auto same = patients.update(p.id, {.name = p.name, .email = p.email, .date_of_birth = p.date_of_birth});
    EXPECT_EQ(same.version, 1);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(patient_repository_test, a_national_id_change_bumps_the_version_without_naming_the_field) {
    const auto p = patients.create(ada());
    const auto updated = patients.update(p.id, {.national_id = "NID-NEW-0001"});
    EXPECT_EQ(updated.version, 2);
    EXPECT_EQ(patients.get(p.id).national_id, "NID-NEW-0001");
    const auto e = last_event();
    EXPECT_EQ(e.event_type, "patient.updated");
    EXPECT_EQ(e.aggregate_version, 2);
    EXPECT_EQ(e.data, (nlohmann::json{{"changed_fields", nlohmann::json::array()}}));
}

TEST_F(patient_repository_test, remove_records_patient_deleted_with_the_next_version) {
    const auto p = patients.create(ada());
    patients.update(p.id, {.name = "Augusta Ada King"});
    patients.remove(p.id);
    EXPECT_FALSE(patients.find(p.id));
    EXPECT_THROW(static_cast<void>(patients.get(p.id)), hc::not_found);

    const auto e = last_event();
    EXPECT_EQ(e.event_type, "patient.deleted");
    EXPECT_EQ(e.aggregate_id, std::to_string(p.id));
    EXPECT_EQ(e.aggregate_version, 3);
    EXPECT_EQ(e.data, (nlohmann::json{{"patient_id", p.id}}));
}

TEST_F(patient_repository_test, a_deleted_patients_id_is_never_given_again) {
    // Consumers key their state by aggregate id and version: a reused id would start again at
    // version 1 below a deletion they already applied.
    const auto first = patients.create(ada());
    patients.remove(first.id);
    const auto second = patients.create(ada());
    EXPECT_GT(second.id, first.id);
}

TEST_F(patient_repository_test, a_patient_with_appointments_is_not_deleted) {
    const auto p = patients.create(ada());
    const auto a = appointments.book({.patient_id = p.id, .doctor = "Dr. Grey", .reason = "check-up",
                                      .scheduled_at = hc::parse_time("scheduled_at", "2026-03-01T09:30:00Z")});
    appointments.cancel(a.id, "travelling");  // even a cancelled appointment is history
    const auto before = snapshot();
    try {
        patients.remove(p.id);
        FAIL() << "deleted a patient with appointments";
    } catch (const hc::conflict& e) {
        EXPECT_EQ(e.field(), "id");
        EXPECT_THAT(e.what(), HasSubstr("1 appointment(s)"));
    }
    EXPECT_EQ(snapshot(), before);
}

TEST_F(patient_repository_test, missing_patients_raise_not_found_and_write_nothing) {
    const auto before = snapshot();
    EXPECT_THROW(patients.update(404, {.name = "Nobody"}), hc::not_found);
    EXPECT_THROW(patients.remove(404), hc::not_found);
    EXPECT_FALSE(patients.find(404));
    EXPECT_EQ(snapshot(), before);
}

struct bad_input {
    const char* what;
    hc::new_patient input;
    const char* field;
    const char* message;  // part of the message: the value at fault
};

// Test names and failure messages show what is wrong instead of the struct's bytes.
void PrintTo(const bad_input& bad, std::ostream* out) { *out << bad.what; }

class patient_validation_test : public hc::testing::clinic_test,
                                public ::testing::WithParamInterface<bad_input> {};

TEST_P(patient_validation_test, create_and_update_refuse_it_naming_the_field_and_write_nothing) {
    const auto existing = patients.create(ada());
    const auto before = snapshot();
    const auto& bad = GetParam();
    const auto expect_refused = [&](auto&& write) {
        try {
            write();
            ADD_FAILURE() << bad.what << " was accepted";
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), bad.field);
            EXPECT_THAT(e.what(), HasSubstr(bad.message));
        }
    };
    expect_refused([&] { patients.create(bad.input); });
    expect_refused([&] {
        patients.update(existing.id, {.name = bad.input.name, .email = bad.input.email, .phone = bad.input.phone,
                                      .date_of_birth = bad.input.date_of_birth, .national_id = bad.input.national_id});
    });
    EXPECT_EQ(snapshot(), before);
}

hc::new_patient with(void (*change)(hc::new_patient&)) {
    auto p = ada();
    change(p);
    return p;
}

INSTANTIATE_TEST_SUITE_P(
    bad_patients, patient_validation_test,
    ::testing::Values(
        bad_input{"empty name", with([](hc::new_patient& p) { p.name = ""; }), "name", "must not be empty"},
        bad_input{"blank name", with([](hc::new_patient& p) { p.name = "   "; }), "name", "must not be empty"},
        bad_input{"malformed email", with([](hc::new_patient& p) { p.email = "ada.example.org"; }), "email",
                  "is not an email address"},
        bad_input{"email without domain dot", with([](hc::new_patient& p) { p.email = "ada@localhost"; }), "email",
                  "is not an email address"},
        bad_input{"malformed phone", with([](hc::new_patient& p) { p.phone = "call me"; }), "phone", "is not a phone number"},
        bad_input{"future birth date",
                  with([](hc::new_patient& p) { p.date_of_birth = hc::parse_date("date_of_birth", "2999-01-01"); }),
                  "date_of_birth", "is in the future"},
        bad_input{"empty national id", with([](hc::new_patient& p) { p.national_id = ""; }), "national_id",
                  "must not be empty"}),
    [](const auto& test_info) {
        std::string name = test_info.param.what;
        for (auto& c : name) c = (c == ' ') ? '_' : c;
        return name;
    });

TEST(patient_fields, malformed_dates_and_timestamps_name_the_field_but_not_the_text) {
    const auto refused = [](auto&& parse, const std::string& field, const std::string& text) {
        try {
            parse(text);
            ADD_FAILURE() << text << " was accepted";
        } catch (const de::validation_error& e) {
            EXPECT_EQ(e.field(), field);
            if (!text.empty()) {
                EXPECT_THAT(e.what(), Not(HasSubstr(text)));  // a client's text is not repeated
            }
        }
    };
    const auto date = [](const std::string& t) { return hc::parse_date("date_of_birth", t); };
    const auto time = [](const std::string& t) { return hc::parse_time("scheduled_at", t); };
    for (const char* text : {"1990-02-30", "1990-2-3", "19900203", "", "1990-02-03x", "abcd-ef-gh"})
        refused(date, "date_of_birth", text);
    for (const char* text : {"tomorrow", "2026-03-01 09:30", "2026-03-01T09:30:00", "2026-13-01T09:30:00Z"})
        refused(time, "scheduled_at", text);
    EXPECT_EQ(hc::format_date(hc::parse_date("d", "2000-02-29")), "2000-02-29");
    EXPECT_EQ(hc::format_time(hc::parse_time("t", "2026-03-01T09:30:00Z")), "2026-03-01T09:30:00.000Z");
}

TEST_F(patient_repository_test, the_national_id_is_in_no_event_of_a_whole_lifecycle) {
    auto first = patients.create(ada());
    patients.update(first.id, {.national_id = "NID-SECOND-2"});
    patients.update(first.id, {.name = "Ada King", .national_id = "NID-THIRD-3"});
    const auto a = appointments.book({.patient_id = first.id, .doctor = "Dr. Grey", .reason = "check-up",
                                      .scheduled_at = hc::parse_time("scheduled_at", "2026-03-01T09:30:00Z")});
    appointments.complete(a.id);
    auto second = patients.create({.name = "Mary Somerville", .email = "mary@example.org", .phone = "",
                                   .date_of_birth = hc::parse_date("date_of_birth", "1780-12-26"),
                                   .national_id = "NID-MARY-1780"});
    patients.remove(second.id);

    const auto all = events();
    ASSERT_EQ(all.size(), 7u);
    for (const auto& [e, payload] : all) {
        for (const char* secret : {"national_id", "NID-ADA-1815", "NID-SECOND-2", "NID-THIRD-3", "NID-MARY-1780"})
            EXPECT_THAT(payload, ::testing::Not(HasSubstr(secret))) << e.event_type;
    }
}

TEST_F(patient_repository_test, the_library_refuses_a_national_id_even_if_a_repository_forgot_it) {
    const auto before = snapshot();
    try {
        db.atomic([&] {
            publisher.publish(db, "patient.created", "patient", "1", 1, {{"name", "x"}, {"national_id", "NID-LEAK"}});
        });
        FAIL() << "an event with a national_id was recorded";
    } catch (const de::validation_error& e) {
        EXPECT_EQ(e.field(), "data.national_id");
        EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("NID-LEAK")));
    }
    EXPECT_EQ(snapshot(), before);
}

TEST_F(patient_repository_test, list_pages_through_patients_by_id) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        auto input = ada();
        input.name = "Patient " + std::to_string(i);
        ids.push_back(patients.create(input).id);
    }
    const auto page1 = patients.list(0, 3);
    ASSERT_EQ(page1.size(), 3u);
    const auto page2 = patients.list(page1.back().id, 3);
    ASSERT_EQ(page2.size(), 2u);
    EXPECT_EQ(page1[0].id, ids[0]);
    EXPECT_EQ(page2[1].id, ids[4]);
    EXPECT_EQ(page2[1].name, "Patient 4");
}

}  // namespace
