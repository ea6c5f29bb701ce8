#pragma once
// A clinic database for repository tests: schema, publisher with the clinic's config, and ways
// to read back what a write left behind (the events, and a snapshot to prove nothing was written).
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publisher.hpp>

#include <healthcore/appointment.hpp>
#include <healthcore/clinic.hpp>
#include <healthcore/patient.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "temp_dir.hpp"

namespace healthcore::testing {

// A valid patient, for tests to create as is or to spoil one field of.
inline new_patient ada() {
    return {.name = "Ada Lovelace",
            .email = "ada@example.org",
            .phone = "+44 20 7946 0000",
            .date_of_birth = parse_date("date_of_birth", "1815-12-10"),
            .national_id = "NID-ADA-1815"};
}

class clinic_test : public ::testing::Test {
protected:
    static domain_events::config clinic_config() {
        domain_events::config c;
        configure(c);
        return c;
    }

    // Every event in the outbox, in commit order, with the payload text it was stored as.
    std::vector<std::pair<domain_events::event, std::string>> events() {
        std::vector<std::pair<domain_events::event, std::string>> out;
        for (auto& r : domain_events::outbox(db).next_batch(10'000))
            out.emplace_back(domain_events::parse_event(r.payload), r.payload);
        return out;
    }

    domain_events::event last_event() {
        auto all = events();
        if (all.empty()) throw std::logic_error("the outbox is empty");
        return all.back().first;
    }

    std::int64_t scalar(const std::string& sql) {
        auto q = db.prepare(sql);
        q->step();
        const auto value = q->column_int64(0);
        return value;
    }

    // Row counts and version sums of both tables and the outbox's size: any write changes one.
    std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t> snapshot() {
        return {scalar("SELECT count(*) FROM patient"), scalar("SELECT coalesce(sum(version), 0) FROM patient"),
                scalar("SELECT count(*) FROM appointment"),
                scalar("SELECT coalesce(sum(version), 0) FROM appointment"),
                scalar("SELECT count(*) FROM domain_events_outbox")};
    }

    domain_events::testing::temp_dir dir;
    domain_events::database db{dir.file("clinic.db")};
    domain_events::model_signals signals;
    domain_events::publisher publisher{db, signals, clinic_config()};
    bool schema_installed = (install_schema(db), true);
    patient_repository patients{db, signals};
    appointment_repository appointments{db, publisher};
};

}  // namespace healthcore::testing
