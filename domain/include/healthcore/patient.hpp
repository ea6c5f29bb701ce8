#pragma once
/** @file
 * Patients and their repository. Every write goes through the library's model signals, so the
 * publisher records `patient.created`, `patient.updated` or `patient.deleted` in the same
 * transaction. The national id is stored but never put in an event.
 *
 *   healthcore::patient_repository patients(db, signals);   // db: this thread's connection
 *   auto p = patients.create({.name = "Ada Lovelace", .email = "ada@example.org", .phone = "",
 *                             .date_of_birth = healthcore::parse_date("date_of_birth", "1815-12-10"),
 *                             .national_id = "AB123456"});
 *   patients.update(p.id, {.email = "ada@analytical.org"});   // patient.updated, version 2
 */
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <domain_events/storage/database.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <domain_events/publish/publisher.hpp>

#include "healthcore/fields.hpp"

namespace healthcore {

/** @brief One patient row. */
struct patient {
    std::int64_t id = 0;
    std::string name;
    std::string email;
    std::string phone;  ///< may be empty
    std::chrono::year_month_day date_of_birth{};
    std::string national_id;  ///< sensitive: stored, never in an event, never in an API response
    timestamp created_at{};
    timestamp updated_at{};
    std::int64_t version = 0;  ///< 1 after create, +1 per write: the events' aggregate_version
};

/** @brief What `create` needs; checked before anything is written. */
struct new_patient {
    std::string name;
    std::string email;
    std::string phone;
    std::chrono::year_month_day date_of_birth{};
    std::string national_id;
};

/** @brief A partial update: only the fields that are set are changed. */
struct patient_changes {
    std::optional<std::string> name = std::nullopt;
    std::optional<std::string> email = std::nullopt;
    std::optional<std::string> phone = std::nullopt;
    std::optional<std::chrono::year_month_day> date_of_birth = std::nullopt;
    std::optional<std::string> national_id = std::nullopt;
};

/**
 * @brief The data of a patient's events: every field but the national id (and `patient_id`).
 *        `patient.updated` carries only the changed ones of these plus `changed_fields`.
 */
[[nodiscard]] nlohmann::json event_data(const patient& p);

/**
 * @brief Patients in one SQLite connection. Not thread-safe (like its `database`): each thread
 *        makes its own repository over its own connection; `signals` may be shared.
 */
class patient_repository {
public:
    /** @param signals the model signals the application's publisher listens to. */
    patient_repository(domain_events::database& db, domain_events::model_signals& signals) noexcept
        : db_(db), signals_(signals) {}

    /**
     * @brief Inserts a patient at version 1 and records `patient.created`.
     * @throws domain_events::validation_error naming the field: empty name, malformed email or
     *         phone, date of birth in the future, empty national id. Nothing is written.
     */
    patient create(const new_patient& input, const domain_events::publish_context& context = {});

    /** @brief The patient, or nothing. */
    [[nodiscard]] std::optional<patient> find(std::int64_t id);

    /** @brief The patient. @throws not_found. */
    [[nodiscard]] patient get(std::int64_t id);

    /** @brief Up to `limit` patients with ids above `after_id`, by id (page through with the last id). */
    [[nodiscard]] std::vector<patient> list(std::int64_t after_id = 0, std::size_t limit = 100);

    /**
     * @brief Applies the set fields. When a value really changes: version + 1 and `patient.updated`
     *        whose data holds the changed fields' new values and `changed_fields` (never the
     *        national id: a change to it alone records an event with empty `changed_fields`, so
     *        versions stay gapless). When nothing changes: no write, no event.
     * @return the patient after the update.
     * @throws not_found; validation_error as `create`. Nothing is written on any error.
     */
    patient update(std::int64_t id, const patient_changes& changes, const domain_events::publish_context& context = {});

    /**
     * @brief Deletes the patient and records `patient.deleted` (version + 1).
     *
     * Refused while any appointment (in any status) refers to the patient: appointments are
     * clinical history and their events name the patient, so they are neither cascaded away nor
     * orphaned (see docs/domain.md).
     * @throws not_found; conflict (field `id`) naming the number of appointments.
     */
    void remove(std::int64_t id, const domain_events::publish_context& context = {});

private:
    domain_events::database& db_;
    domain_events::model_signals& signals_;
};

}  // namespace healthcore
