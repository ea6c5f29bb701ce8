#pragma once
/** @file
 * `patient-directory-consumer`: a read model of the patients (`directory_patient`) built from
 * `patient.*` events, equal to the source's patient table whatever the topic routing.
 *
 * The ordering rule: an event is applied only when its `aggregate_version` is exactly one more
 * than the version the directory holds for that patient (0 for none). An earlier or equal
 * version was applied already and is ignored; a later one is parked in `directory_parked` and
 * applied, in version order, as soon as its predecessor arrives. So an update read before its
 * create (two topics under `per_event_type`) waits for the create. A deleted patient leaves a
 * tombstone (`directory_deleted`) so that nothing older brings it back.
 */
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <domain_events/ops/consumer_program.hpp>
#include <domain_events/storage/database.hpp>

namespace healthcore::consumers {

/** @brief The patient directory: group `patient-directory`, events `patient.*`, file `patient-directory.db`. */
[[nodiscard]] domain_events::consumer_program patient_directory_program();

/**
 * @brief The directory's patients by id, each as `healthcore::event_data` shapes a patient but
 *        without `updated_at` (a `patient.updated` event does not carry it), plus `version`.
 * @throws storage_error.
 */
[[nodiscard]] std::vector<nlohmann::json> directory_patients(domain_events::database& directory);

/**
 * @brief The same view of the source database's `patient` table (the domain's repository).
 * @throws storage_error.
 */
[[nodiscard]] std::vector<nlohmann::json> source_patients(domain_events::database& source);

/**
 * @brief Where the directory and the source differ, one line each ("patient 7: directory
 *        {...}, source {...}"); empty when they are equal.
 */
[[nodiscard]] std::vector<std::string> directory_differences(domain_events::database& directory,
                                                             domain_events::database& source);

}  // namespace healthcore::consumers
