#pragma once
/** @file
 * Setting up the clinic domain: its tables, and the config that makes the library refuse any
 * event carrying a patient's national id (the second line of defence; the first is that no
 * event data is ever built from it).
 */
#include <array>
#include <string_view>

#include <domain_events/config.hpp>
#include <domain_events/storage/database.hpp>

namespace healthcore {

/** @brief Field names no clinic event may carry, added to the library's sensitive fields by `configure`. */
inline constexpr std::array<std::string_view, 1> sensitive_fields{"national_id"};

/** @brief The clinic's topic prefix: `healthcore.patient.created`. */
inline constexpr const char* topic_prefix = "healthcore";

/**
 * @brief Adds `sensitive_fields` to `settings.validation.sensitive_fields` (once), and sets the
 *        topic prefix to `topic_prefix` unless one is set (KAFKA_TOPIC_PREFIX, or the caller).
 *        `patient` and `appointment` go in `versions_kept_by_application`: the repositories'
 *        version columns order their events.
 */
void configure(domain_events::config& settings);

/**
 * @brief Creates the `patient` and `appointment` tables if missing. Idempotent.
 * @throws domain_events::storage_error.
 */
void install_schema(domain_events::database& db);

}  // namespace healthcore
