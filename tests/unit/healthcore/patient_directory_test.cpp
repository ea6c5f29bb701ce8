// The patient directory's ordering rule (consumers/include/healthcore/consumers/patient_directory.hpp):
// an event is applied only as the next version of its patient; later ones wait in
// directory_parked, earlier or equal ones are ignored; a deletion leaves a tombstone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/event.hpp>
#include <healthcore/consumers/patient_directory.hpp>

#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace hcc = healthcore::consumers;
using nlohmann::json;

namespace {

de::event patient_event(const std::string& action, std::int64_t id, std::int64_t version, json data) {
    return de::make_event("patient." + action, "patient", std::to_string(id), version, std::move(data));
}

de::event created(std::int64_t id, const std::string& email = "first@example.org") {
    return patient_event("created", id, 1,
                         {{"patient_id", id}, {"name", "Patient " + std::to_string(id)}, {"email", email},
                          {"phone", "+44 1"}, {"date_of_birth", "1980-01-02"},
                          {"created_at", "2026-01-01T00:00:00.000Z"}, {"updated_at", "2026-01-01T00:00:00.000Z"}});
}

de::event updated(std::int64_t id, std::int64_t version, const std::string& email) {
    return patient_event("updated", id, version, {{"email", email}, {"changed_fields", {"email"}}});
}

de::event deleted(std::int64_t id, std::int64_t version) { return patient_event("deleted", id, version, {{"patient_id", id}}); }

class patient_directory_rule : public ::testing::Test {
protected:
    patient_directory_rule() { de::apply_consumer_schema(db, program.schema); }

    // Delivers `e` as the consumer does: the handler inside a transaction. Returns its report.
    std::string deliver(const de::event& e) {
        return db.atomic([&] { return program.fallback(e, db); });
    }

    // The directory row of `id` (null when there is none).
    json row(std::int64_t id) {
        for (auto& r : hcc::directory_patients(db)) {
            if (r.at("patient_id") == id) return r;
        }
        return nullptr;
    }

    std::int64_t parked_count() { return de::testing::scalar(db, "SELECT count(*) FROM directory_parked"); }

    de::testing::temp_dir dir;
    de::database db{dir.file("directory.db")};
    de::consumer_program program = hcc::patient_directory_program();
};

TEST_F(patient_directory_rule, in_order_events_are_applied_one_after_the_other) {
    EXPECT_EQ(deliver(created(1)), "applied");
    EXPECT_EQ(row(1).at("email"), "first@example.org");
    EXPECT_EQ(deliver(updated(1, 2, "second@example.org")), "applied");
    EXPECT_EQ(row(1).at("email"), "second@example.org");
    EXPECT_EQ(row(1).at("version"), 2);
    EXPECT_EQ(deliver(deleted(1, 3)), "applied");
    EXPECT_TRUE(row(1).is_null());
}

TEST_F(patient_directory_rule, updates_read_before_their_create_wait_and_are_applied_in_version_order) {
    EXPECT_EQ(deliver(updated(1, 3, "third@example.org")), "parked until v1 arrives");
    EXPECT_EQ(deliver(updated(1, 2, "second@example.org")), "parked until v1 arrives");
    EXPECT_TRUE(row(1).is_null()) << "nothing is shown before the create";
    EXPECT_EQ(parked_count(), 2);
    EXPECT_EQ(deliver(created(1)), "applied, then 2 parked event(s) after it");
    EXPECT_EQ(row(1).at("email"), "third@example.org") << "v3 last, not v2";
    EXPECT_EQ(row(1).at("version"), 3);
    EXPECT_EQ(parked_count(), 0);
}

TEST_F(patient_directory_rule, a_gap_keeps_the_later_events_parked_until_it_is_filled) {
    deliver(created(1));
    deliver(updated(1, 4, "fourth@example.org"));
    deliver(updated(1, 3, "third@example.org"));
    EXPECT_EQ(row(1).at("version"), 1) << "v2 is missing: v3 and v4 wait";
    EXPECT_EQ(parked_count(), 2);
    EXPECT_EQ(deliver(updated(1, 2, "second@example.org")), "applied, then 2 parked event(s) after it");
    EXPECT_EQ(row(1).at("email"), "fourth@example.org");
}

TEST_F(patient_directory_rule, an_older_or_repeated_version_is_ignored) {
    deliver(created(1));
    deliver(updated(1, 2, "second@example.org"));
    // A replay under a new event id (so the idempotency store does not catch it) is still stale.
    EXPECT_EQ(deliver(updated(1, 2, "replayed@example.org")), "stale (the directory holds v2): ignored");
    EXPECT_EQ(deliver(created(1, "replayed@example.org")), "stale (the directory holds v2): ignored");
    EXPECT_EQ(row(1).at("email"), "second@example.org");
}

TEST_F(patient_directory_rule, a_deletion_read_first_wins_and_nothing_older_brings_the_patient_back) {
    deliver(deleted(1, 3));
    deliver(updated(1, 2, "second@example.org"));
    deliver(created(1));
    EXPECT_TRUE(row(1).is_null());
    EXPECT_EQ(parked_count(), 0);
    EXPECT_EQ(deliver(created(1)), "stale (the directory holds v3): ignored") << "the tombstone holds v3";
    EXPECT_TRUE(row(1).is_null());
}

TEST_F(patient_directory_rule, every_order_of_one_history_ends_in_the_same_state) {
    // create, two updates, another update; each permutation on a patient of its own.
    std::vector<int> order{0, 1, 2, 3};
    std::int64_t id = 0;
    do {
        ++id;
        const std::vector<de::event> history{created(id), updated(id, 2, "b@example.org"), updated(id, 3, "c@example.org"),
                                             updated(id, 4, "d@example.org")};
        for (const int i : order) deliver(history[static_cast<std::size_t>(i)]);
        const auto r = row(id);
        ASSERT_FALSE(r.is_null()) << "order " << order[0] << order[1] << order[2] << order[3];
        EXPECT_EQ(r.at("email"), "d@example.org") << "order " << order[0] << order[1] << order[2] << order[3];
        EXPECT_EQ(r.at("version"), 4);
    } while (std::next_permutation(order.begin(), order.end()));
    EXPECT_EQ(id, 24);
    EXPECT_EQ(parked_count(), 0);
}

TEST_F(patient_directory_rule, an_event_without_a_field_it_needs_is_refused_naming_it) {
    auto e = created(1);
    e.data.erase("email");
    try {
        deliver(e);
        FAIL() << "a create without an email was applied";
    } catch (const de::validation_error& error) {
        EXPECT_NE(std::string(error.what()).find("data.email"), std::string::npos) << error.what();
    }
    EXPECT_TRUE(row(1).is_null()) << "rolled back";
}

}  // namespace
