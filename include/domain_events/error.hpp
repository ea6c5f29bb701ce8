#pragma once
/** @file
 * The library's exception tree. Every message names the field, value or path at fault.
 */
#include <stdexcept>
#include <string>

namespace domain_events {

/** @brief Root of every exception the library throws. */
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/** @brief A configuration value is missing or invalid; the message lists every bad value. */
class config_error : public error {
public:
    using error::error;
};

/** @brief The API was used in a way it does not allow, e.g. an event appended outside a transaction. */
class usage_error : public error {
public:
    using error::error;
};

/** @brief Bad input: an event, a field or an argument that breaks a rule. */
class validation_error : public error {
public:
    /** @param field the field at fault, e.g. `event_type` or `data.password`. */
    validation_error(std::string field, const std::string& message)
        : error(field + ": " + message), field_(std::move(field)) {}

    /** @brief The field at fault, as a dotted path. */
    [[nodiscard]] const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

/** @brief SQLite refused an operation; carries SQLite's extended result code. */
class storage_error : public error {
public:
    storage_error(const std::string& message, int sqlite_code)
        : error(message), sqlite_code_(sqlite_code) {}

    /** @brief SQLite's extended result code (e.g. SQLITE_BUSY, SQLITE_FULL). */
    [[nodiscard]] int sqlite_code() const noexcept { return sqlite_code_; }

private:
    int sqlite_code_;
};

/** @brief Kafka refused or failed an operation; carries librdkafka's error code. */
class publish_error : public error {
public:
    publish_error(const std::string& message, int kafka_code)
        : error(message), kafka_code_(kafka_code) {}

    /** @brief librdkafka's `rd_kafka_resp_err_t` value. */
    [[nodiscard]] int kafka_code() const noexcept { return kafka_code_; }

private:
    int kafka_code_;
};

}  // namespace domain_events
