// The clinic's appointments: booking, cancelling and completing record their events with the
// right envelope; every illegal transition raises a domain error and writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <domain_events/error.hpp>
#include <healthcore/errors.hpp>

#include "clinic_fixture.hpp"

namespace de = domain_events;
namespace hc = healthcore;
using ::testing::HasSubstr;

namespace {

class appointment_repository_test : public hc::testing::clinic_test {
protected:
    hc::appointment book(std::string reason = "check-up") {
        return appointments.book({.patient_id = patient.id, .doctor = "Dr. Grey", .reason = std::move(reason),
                                  .scheduled_at = hc::parse_time("scheduled_at", "2026-03-01T09:30:00Z")});
    }

    // Runs an operation that must be refused with `Error` on `field`, and checks nothing was written.
    template <class Error>
    void expect_refused(const std::function<void()>& operation, const std::string& field, const std::string& message) {
        const auto before = snapshot();
        try {
            operation();
            ADD_FAILURE() << "accepted; expected a refusal on " << field;
        } catch (const Error& e) {
            EXPECT_EQ(e.field(), field);
            EXPECT_THAT(e.what(), HasSubstr(message));
        }
        EXPECT_EQ(snapshot(), before);
    }

    hc::patient patient = patients.create(hc::testing::ada());
};

TEST_F(appointment_repository_test, book_records_appointment_booked) {
    const auto a = book();
    EXPECT_EQ(a.status, hc::appointment_status::booked);
    EXPECT_EQ(a.version, 1);
    EXPECT_EQ(appointments.get(a.id).doctor, "Dr. Grey");

    const auto e = last_event();
    EXPECT_EQ(e.event_type, "appointment.booked");
    EXPECT_EQ(e.aggregate_type, "appointment");
    EXPECT_EQ(e.aggregate_id, std::to_string(a.id));
    EXPECT_EQ(e.aggregate_version, 1);
    EXPECT_EQ(e.data, (nlohmann::json{{"appointment_id", a.id},
                                      {"patient_id", patient.id},
                                      {"doctor", "Dr. Grey"},
                                      {"reason", "check-up"},
                                      {"scheduled_at", "2026-03-01T09:30:00.000Z"},
                                      {"status", "booked"}}));
}

TEST_F(appointment_repository_test, cancel_records_appointment_cancelled_with_the_reason) {
    const auto a = book();
    const auto cancelled = appointments.cancel(a.id, "patient is travelling",
                                               {.correlation_id = "req-9", .causation_id = std::nullopt});
    EXPECT_EQ(cancelled.status, hc::appointment_status::cancelled);
    EXPECT_EQ(appointments.get(a.id).cancellation_reason, "patient is travelling");

    const auto e = last_event();
    EXPECT_EQ(e.event_type, "appointment.cancelled");
    EXPECT_EQ(e.aggregate_id, std::to_string(a.id));
    EXPECT_EQ(e.aggregate_version, 2);
    EXPECT_EQ(e.metadata.correlation_id, "req-9");
    EXPECT_EQ(e.data.at("status"), "cancelled");
    EXPECT_EQ(e.data.at("cancellation_reason"), "patient is travelling");
    EXPECT_EQ(e.data, hc::event_data(cancelled));
}

TEST_F(appointment_repository_test, complete_records_appointment_completed) {
    const auto a = book();
    const auto completed = appointments.complete(a.id);
    EXPECT_EQ(appointments.get(a.id).status, hc::appointment_status::completed);

    const auto e = last_event();
    EXPECT_EQ(e.event_type, "appointment.completed");
    EXPECT_EQ(e.aggregate_id, std::to_string(a.id));
    EXPECT_EQ(e.aggregate_version, 2);
    EXPECT_EQ(e.data, hc::event_data(completed));
    EXPECT_FALSE(e.data.contains("cancellation_reason"));
}

TEST_F(appointment_repository_test, booking_for_a_missing_patient_writes_nothing) {
    expect_refused<hc::not_found>(
        [&] {
            appointments.book({.patient_id = 404, .doctor = "Dr. Grey", .reason = "check-up",
                               .scheduled_at = hc::parse_time("scheduled_at", "2026-03-01T09:30:00Z")});
        },
        "patient_id", "patient 404 does not exist");
}

TEST_F(appointment_repository_test, illegal_transitions_raise_conflict_and_write_nothing) {
    const auto cancelled = book();
    appointments.cancel(cancelled.id, "travelling");
    const auto completed = book();
    appointments.complete(completed.id);

    expect_refused<hc::conflict>([&] { appointments.complete(cancelled.id); }, "status",
                                 "is cancelled: only a booked appointment can be completed");
    expect_refused<hc::conflict>([&] { appointments.cancel(cancelled.id, "again"); }, "status",
                                 "is cancelled: only a booked appointment can be cancelled");
    expect_refused<hc::conflict>([&] { appointments.cancel(completed.id, "too late"); }, "status",
                                 "is completed: only a booked appointment can be cancelled");
    expect_refused<hc::conflict>([&] { appointments.complete(completed.id); }, "status",
                                 "is completed: only a booked appointment can be completed");
    expect_refused<hc::not_found>([&] { appointments.cancel(404, "gone"); }, "id", "appointment 404 does not exist");
    expect_refused<hc::not_found>([&] { appointments.complete(404); }, "id", "appointment 404 does not exist");
}

TEST_F(appointment_repository_test, bad_input_names_the_field_and_writes_nothing) {
    const auto a = book();
    expect_refused<de::validation_error>([&] { book(""); }, "reason", "must not be empty");
    expect_refused<de::validation_error>(
        [&] {
            appointments.book({.patient_id = patient.id, .doctor = " ", .reason = "x",
                               .scheduled_at = hc::parse_time("scheduled_at", "2026-03-01T09:30:00Z")});
        },
        "doctor", "must not be empty");
    expect_refused<de::validation_error>([&] { appointments.cancel(a.id, ""); }, "reason", "must not be empty");
    EXPECT_EQ(appointments.get(a.id).status, hc::appointment_status::booked);
}

TEST_F(appointment_repository_test, list_for_patient_orders_by_scheduled_time) {
    const auto later = appointments.book({.patient_id = patient.id, .doctor = "Dr. Grey", .reason = "follow-up",
                                          .scheduled_at = hc::parse_time("scheduled_at", "2026-05-01T09:00:00Z")});
    const auto earlier = book();
    const auto other = patients.create({.name = "Mary Somerville", .email = "mary@example.org", .phone = "",
                                        .date_of_birth = hc::parse_date("date_of_birth", "1780-12-26"),
                                        .national_id = "NID-MARY"});
    appointments.book({.patient_id = other.id, .doctor = "Dr. House", .reason = "x",
                       .scheduled_at = hc::parse_time("scheduled_at", "2026-04-01T09:00:00Z")});
    const auto listed = appointments.list_for_patient(patient.id);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, earlier.id);
    EXPECT_EQ(listed[1].id, later.id);
}

}  // namespace
