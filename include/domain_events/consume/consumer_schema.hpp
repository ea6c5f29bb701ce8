#pragma once
/** @file
 * The tables a consumer's handlers write, created and migrated by the consumer itself when it
 * opens its database, before any event (`consumer_options::schema`).
 */
#include <functional>
#include <string>
#include <utility>

namespace domain_events {

class database;

/**
 * @brief A versioned schema for the handlers' tables. The version the database has is kept in
 *        it (`domain_events_schema`, component `handlers`); when it is below `version`, the
 *        consumer runs `sql`, or calls `migrate`, and records `version`, all in one transaction
 *        that replicas opening the file at once take in turn.
 */
struct consumer_schema {
    /// The version the handlers need (>= 1); 0: the consumer creates no tables of the handlers.
    int version = 0;
    /// Run as a script (statements separated by `;`) when the database has a lower version.
    /// Idempotent DDL (`CREATE TABLE IF NOT EXISTS`) suits a schema that has only one version.
    std::string sql;
    /// Instead of `sql`, to migrate step by step: called with the version the database has (0 when
    /// it has none), inside the transaction. Throwing rolls everything back.
    std::function<void(database& db, int from_version)> migrate;

    /** @brief A schema given as one SQL script. */
    [[nodiscard]] static consumer_schema script(int version, std::string sql) {
        return consumer_schema{version, std::move(sql), {}};
    }
    /** @brief A schema migrated by a function, from the version the database has. */
    [[nodiscard]] static consumer_schema steps(int version, std::function<void(database& db, int from_version)> migrate) {
        return consumer_schema{version, {}, std::move(migrate)};
    }
};

/**
 * @brief Brings `db` to `schema.version` as described above (what the consumer's constructor does).
 * @throws config_error when `schema` has both or neither of `sql` and `migrate`, or a negative
 *         version; usage_error when the database has a newer version than `schema.version` (an
 *         older program on a newer database); storage_error, or what `migrate` throws, after
 *         rolling back.
 */
void apply_consumer_schema(database& db, const consumer_schema& schema);

}  // namespace domain_events
