#include <string>

#include <domain_events/publish/model_writes.hpp>

#include "healthcore/errors.hpp"
#include "healthcore/patient.hpp"
#include "rows.hpp"

namespace healthcore {
namespace {

namespace de = domain_events;
using detail::to_ms;

constexpr const char* select_patient =
    "SELECT id, name, email, phone, date_of_birth, national_id, created_at_ms, updated_at_ms, version FROM patient ";

patient read_patient(const de::statement& q) {
    return patient{.id = q.column_int64(0),
                   .name = q.column_text(1),
                   .email = q.column_text(2),
                   .phone = q.column_text(3),
                   .date_of_birth = parse_date("date_of_birth", q.column_text_view(4)),
                   .national_id = q.column_text(5),
                   .created_at = detail::time_column(q, 6),
                   .updated_at = detail::time_column(q, 7),
                   .version = q.column_int64(8)};
}

// The same checks for create and update, so an update can never store what create refuses.
std::string checked_name(const std::string& v) { return require_text("name", v); }
std::string checked_email(const std::string& v) { return require_email("email", v); }
std::string checked_phone(const std::string& v) { return require_phone("phone", v); }
std::chrono::year_month_day checked_birth(std::chrono::year_month_day v) { return require_not_future("date_of_birth", v); }
// The value is never quoted back: it is sensitive.
std::string checked_national_id(const std::string& v) { return require_text("national_id", v, 64); }

template <class T, class Check>
std::optional<T> checked(const std::optional<T>& value, Check check) {
    return value ? std::optional<T>(check(*value)) : std::nullopt;
}

}  // namespace

nlohmann::json event_data(const patient& p) {
    return {{"patient_id", p.id},
            {"name", p.name},
            {"email", p.email},
            {"phone", p.phone},
            {"date_of_birth", format_date(p.date_of_birth)},
            {"created_at", format_time(p.created_at)},
            {"updated_at", format_time(p.updated_at)}};
}

patient patient_repository::create(const new_patient& input, const de::publish_context& context) {
    const auto at = now();
    patient p{.id = 0,
              .name = checked_name(input.name),
              .email = checked_email(input.email),
              .phone = checked_phone(input.phone),
              .date_of_birth = checked_birth(input.date_of_birth),
              .national_id = checked_national_id(input.national_id),
              .created_at = at,
              .updated_at = at,
              .version = 1};
    de::model_change change{.model = "patient", .version = 1, .data = event_data(p), .created = true,
                            .correlation_id = context.correlation_id, .causation_id = context.causation_id};
    de::save_model(db_, signals_, std::move(change), [&](de::model_change& c) {
        db_.prepare("INSERT INTO patient (name, email, phone, date_of_birth, national_id, created_at_ms, "
                    "updated_at_ms, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            ->bind_all(p.name, p.email, p.phone, format_date(p.date_of_birth), p.national_id, to_ms(p.created_at),
                      to_ms(p.updated_at), p.version)
            .run();
        p.id = db_.last_insert_rowid();
        c.id = std::to_string(p.id);
        c.data = event_data(p);  // now with its id
    });
    return p;
}

std::optional<patient> patient_repository::find(std::int64_t id) {
    return detail::first_row(db_.prepare(std::string(select_patient) + "WHERE id = ?")->bind_all(id), read_patient);
}

patient patient_repository::get(std::int64_t id) {
    return detail::found(find(id), "patient", id);
}

std::vector<patient> patient_repository::list(std::int64_t after_id, std::size_t limit) {
    return detail::collect_rows(
        db_.prepare(std::string(select_patient) + "WHERE id > ? ORDER BY id LIMIT ?")->bind_all(after_id, limit),
        read_patient);
}

patient patient_repository::update(std::int64_t id, const patient_changes& changes, const de::publish_context& context) {
    const patient_changes wanted{.name = checked(changes.name, checked_name),
                                 .email = checked(changes.email, checked_email),
                                 .phone = checked(changes.phone, checked_phone),
                                 .date_of_birth = checked(changes.date_of_birth, checked_birth),
                                 .national_id = checked(changes.national_id, checked_national_id)};
    return db_.atomic([&] {
        // Read inside the transaction: BEGIN IMMEDIATE holds the write lock, so nobody changes
        // the row between this read and the write.
        patient p = get(id);
        std::vector<std::string> changed_fields;
        bool changed = false;
        const auto apply = [&](const char* field, auto& current, const auto& value, bool in_events) {
            if (!value || *value == current) return;
            current = *value;
            changed = true;
            if (in_events) changed_fields.emplace_back(field);
        };
        apply("name", p.name, wanted.name, true);
        apply("email", p.email, wanted.email, true);
        apply("phone", p.phone, wanted.phone, true);
        apply("date_of_birth", p.date_of_birth, wanted.date_of_birth, true);
        apply("national_id", p.national_id, wanted.national_id, false);
        if (!changed) return p;  // no write, no event: versions stay gapless

        p.version += 1;
        p.updated_at = now();
        de::model_change change{.model = "patient", .id = std::to_string(id), .version = p.version,
                                .data = event_data(p), .created = false, .changed_fields = std::move(changed_fields),
                                .correlation_id = context.correlation_id, .causation_id = context.causation_id};
        de::save_model(db_, signals_, std::move(change), [&](de::model_change&) {
            db_.prepare("UPDATE patient SET name = ?, email = ?, phone = ?, date_of_birth = ?, national_id = ?, "
                        "updated_at_ms = ?, version = ? WHERE id = ?")
                ->bind_all(p.name, p.email, p.phone, format_date(p.date_of_birth), p.national_id, to_ms(p.updated_at),
                          p.version, id)
                .run();
        });
        return p;
    });
}

void patient_repository::remove(std::int64_t id, const de::publish_context& context) {
    db_.atomic([&] {
        const patient p = get(id);
        const auto appointments = detail::collect_rows(
            db_.prepare("SELECT count(*) FROM appointment WHERE patient_id = ?")->bind_all(id),
            [](const de::statement& q) { return q.column_int64(0); });
        if (appointments.at(0) > 0)
            throw conflict("id", "patient " + std::to_string(id) + " has " + std::to_string(appointments.at(0)) +
                                     " appointment(s) and cannot be deleted: appointments are kept as clinical history");
        de::model_change change{.model = "patient", .id = std::to_string(id), .version = p.version + 1,
                                .data = {{"patient_id", id}}, .correlation_id = context.correlation_id,
                                .causation_id = context.causation_id};
        de::delete_model(db_, signals_, std::move(change), [&](de::model_change&) {
            db_.prepare("DELETE FROM patient WHERE id = ?")->bind_all(id).run();
        });
    });
}

}  // namespace healthcore
