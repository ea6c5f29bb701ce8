#include "healthcore/consumers/patient_directory.hpp"

#include <array>
#include <map>

#include <domain_events/event.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <healthcore/patient.hpp>

#include "rows.hpp"

namespace healthcore::consumers {

namespace de = domain_events;
using nlohmann::json;

namespace {

// The columns a patient event's data may set (patient.updated carries only the changed ones).
constexpr std::array<const char*, 6> data_columns{"name", "email", "phone", "date_of_birth", "created_at", "updated_at"};

// An event as the directory applies it, whether it just arrived or waited in directory_parked.
struct patient_change {
    std::string type;
    std::int64_t version = 0;
    json data;
    std::string occurred_at;
};

std::int64_t held_version(de::database& db, std::int64_t id) {
    return detail::int_value(db.prepare("SELECT max(version) FROM (SELECT version FROM directory_patient WHERE patient_id = ?1 "
                                        "UNION ALL SELECT version FROM directory_deleted WHERE patient_id = ?1)")
                                 ->bind_all(id))
        .value_or(0);
}

std::string text(const patient_change& c, const char* field) {
    const auto found = c.data.find(field);
    if (found == c.data.end() || !found->is_string())
        throw de::validation_error(std::string("data.") + field, c.type + " v" + std::to_string(c.version) + ": expected text");
    return found->get<std::string>();
}

void apply(de::database& db, std::int64_t id, const patient_change& c) {
    if (c.type == "patient.created") {
        db.prepare("INSERT OR REPLACE INTO directory_patient VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            ->bind_all(id, text(c, "name"), text(c, "email"), text(c, "phone"), text(c, "date_of_birth"),
                      text(c, "created_at"), text(c, "updated_at"), c.version)
            .run();
        return;
    }
    if (c.type == "patient.deleted") {
        db.prepare("DELETE FROM directory_patient WHERE patient_id = ?")->bind_all(id).run();
        db.prepare("INSERT OR REPLACE INTO directory_deleted VALUES (?, ?)")->bind_all(id, c.version).run();
        return;
    }
    // patient.updated, or an action this directory does not know: its fields (if any) and the version.
    for (const auto* column : data_columns) {
        if (c.data.contains(column))
            db.prepare(std::string("UPDATE directory_patient SET ") + column + " = ? WHERE patient_id = ?")
                ->bind_all(text(c, column), id)
                .run();
    }
    const int rows = db.prepare("UPDATE directory_patient SET version = ?, updated_at = max(updated_at, ?) WHERE patient_id = ?")
                         ->bind_all(c.version, c.occurred_at, id)
                         .run();
    if (rows == 0)
        throw de::validation_error("aggregate_version", c.type + " v" + std::to_string(c.version) + " of patient " +
                                                            std::to_string(id) + " follows its deletion");
}

std::string on_patient_event(const de::event& e, de::database& db) {
    const auto id = detail::numeric_id(e);
    const auto held = held_version(db, id);
    const patient_change change{e.event_type, e.aggregate_version, e.data, de::format_timestamp(e.timestamp)};
    if (change.version <= held) return "stale (the directory holds v" + std::to_string(held) + "): ignored";
    if (change.version > held + 1) {
        db.prepare("INSERT OR IGNORE INTO directory_parked VALUES (?, ?, ?, ?, ?)")
            ->bind_all(id, change.version, change.type, change.data.dump(), change.occurred_at)
            .run();
        return "parked until v" + std::to_string(held + 1) + " arrives";
    }
    apply(db, id, change);
    // The parked successors, in version order: apply them while they follow on without a gap
    // (a bounded walk over what this patient has parked; the rest waits for its own predecessor).
    const auto parked = de::collect_rows(
        db.prepare("SELECT version, event_type, data, occurred_at FROM directory_parked WHERE patient_id = ? AND "
                   "version > ? ORDER BY version")
            ->bind_all(id, change.version),
        [](const de::statement& q) {
            return patient_change{q.column_text(1), q.column_int64(0), json::parse(q.column_text_view(2)), q.column_text(3)};
        });
    int caught_up = 0;
    for (const auto& next : parked) {
        if (next.version != change.version + caught_up + 1) break;
        apply(db, id, next);
        db.prepare("DELETE FROM directory_parked WHERE patient_id = ? AND version = ?")->bind_all(id, next.version).run();
        ++caught_up;
    }
    return caught_up == 0 ? "applied" : "applied, then " + std::to_string(caught_up) + " parked event(s) after it";
}

}  // namespace

de::consumer_program patient_directory_program() {
    auto program = detail::program_with_schema("patient-directory-consumer",
                                               "A read model of the patients, equal to the source table under either topic routing.",
                                               "patient-directory", {"patient.*"}, R"sql(
            CREATE TABLE IF NOT EXISTS directory_patient (
                patient_id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                email TEXT NOT NULL,
                phone TEXT NOT NULL,
                date_of_birth TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS directory_deleted (
                patient_id INTEGER PRIMARY KEY,
                version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS directory_parked (
                patient_id INTEGER NOT NULL,
                version INTEGER NOT NULL,
                event_type TEXT NOT NULL,
                data TEXT NOT NULL,
                occurred_at TEXT NOT NULL,
                PRIMARY KEY (patient_id, version));
        )sql");
    // Every patient.* type, known or not, goes through the version rule: an unknown action still
    // takes its place in the sequence, so the events after it are not parked for ever.
    program.fallback = on_patient_event;
    program.describe = [](de::database& db) {
        return detail::counts_line(db, {{"SELECT count(*) FROM directory_patient", "patients"},
                                        {"SELECT count(*) FROM directory_deleted", "deleted"},
                                        {"SELECT count(*) FROM directory_parked", "parked"}});
    };
    return program;
}

std::vector<json> directory_patients(de::database& directory) {
    return de::collect_rows(
        *directory.prepare("SELECT patient_id, name, email, phone, date_of_birth, created_at, version FROM "
                          "directory_patient ORDER BY patient_id"),
        [](const de::statement& q) {
            return json{{"patient_id", q.column_int64(0)}, {"name", q.column_text(1)},          {"email", q.column_text(2)},
                        {"phone", q.column_text(3)},       {"date_of_birth", q.column_text(4)}, {"created_at", q.column_text(5)},
                        {"version", q.column_int64(6)}};
        });
}

std::vector<json> source_patients(de::database& source) {
    de::model_signals unused;  // reading only: no signal is sent
    patient_repository patients(source, unused);
    std::vector<json> rows;
    for (std::int64_t after = 0;;) {
        const auto page = patients.list(after, 1000);
        for (const auto& p : page) {
            auto row = event_data(p);
            row.erase("updated_at");
            row["version"] = p.version;
            rows.push_back(std::move(row));
        }
        if (page.empty()) return rows;
        after = page.back().id;
    }
}

std::vector<std::string> directory_differences(de::database& directory, de::database& source) {
    std::map<std::int64_t, std::pair<json, json>> by_id;  // directory, source
    auto in_directory = directory_patients(directory);
    auto in_source = source_patients(source);
    for (auto* rows : {&in_directory, &in_source}) {
        for (auto& row : *rows) {
            // The id first: json's assignment takes its argument by value, moving the row out
            // before the left side would be evaluated.
            auto& both = by_id[row.at("patient_id").get<std::int64_t>()];
            (rows == &in_directory ? both.first : both.second) = std::move(row);
        }
    }
    std::vector<std::string> differences;
    for (const auto& [id, rows] : by_id) {
        if (rows.first != rows.second)
            differences.push_back("patient " + std::to_string(id) + ": directory " +
                                  (rows.first.is_null() ? "missing" : rows.first.dump()) + ", source " +
                                  (rows.second.is_null() ? "missing" : rows.second.dump()));
    }
    return differences;
}

}  // namespace healthcore::consumers
