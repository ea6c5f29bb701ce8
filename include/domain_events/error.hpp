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

    /**
     * @brief True when another connection held a lock past the busy timeout (SQLITE_BUSY or
     *        SQLITE_LOCKED, any extended code): the same operation may succeed later.
     */
    [[nodiscard]] bool busy() const noexcept;

    /**
     * @brief True when the database file or the machine is at fault, not the statement: disk
     *        full, I/O error, read-only or unopenable file, out of memory, a corrupt file or not
     *        a database (SQLITE_FULL, IOERR, READONLY, CANTOPEN, NOMEM, CORRUPT, NOTADB).
     */
    [[nodiscard]] bool database_fault() const noexcept;

private:
    int sqlite_code_;
};

/**
 * @brief Kafka refused or failed to take a record (the relay's producer, the consumer's dead
 *        letters); carries librdkafka's error code. Also the base of every other Kafka failure
 *        below, so a `catch (const publish_error&)` written before they existed still catches them.
 */
class publish_error : public error {
public:
    publish_error(const std::string& message, int kafka_code)
        : error(message), kafka_code_(kafka_code) {}

    /** @brief librdkafka's `rd_kafka_resp_err_t` value. */
    [[nodiscard]] int kafka_code() const noexcept { return kafka_code_; }

private:
    int kafka_code_;
};

/** @brief Creating, describing or looking up topics failed (topic_admin); names each topic at fault. */
class topic_error : public publish_error {
public:
    using publish_error::publish_error;
};

/** @brief The consumer's Kafka client failed: a subscription librdkafka refused, or a fatal error. */
class consume_error : public publish_error {
public:
    using publish_error::publish_error;
};

/** @brief librdkafka could not start or change the in-process mock cluster (embedded_cluster). */
class embedded_cluster_error : public publish_error {
public:
    using publish_error::publish_error;
};

}  // namespace domain_events
