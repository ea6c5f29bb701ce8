#pragma once
/** @file
 * The clinic's domain errors. Bad input (an empty name, a malformed email) is the library's
 * `domain_events::validation_error`, naming the field and value; the errors here are about the
 * state of the clinic: a missing patient, an appointment that cannot move to the asked status.
 * Whatever throws them has written nothing.
 */
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <domain_events/error.hpp>

namespace healthcore {

/** @brief A rule of the clinic was broken; `field()` names what the caller got wrong. */
class domain_error : public domain_events::error {
public:
    domain_error(std::string field, const std::string& message)
        : domain_events::error(message), field_(std::move(field)) {}

    /** @brief The field at fault, e.g. `patient_id` or `status`. */
    [[nodiscard]] const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

/** @brief No patient or appointment has this id (HTTP 404). */
class not_found : public domain_error {
public:
    /** @param entity `patient` or `appointment`; @param field the field that carried the id. */
    not_found(std::string_view entity, std::int64_t id, std::string field = "id")
        : domain_error(std::move(field), std::string(entity) + " " + std::to_string(id) + " does not exist") {}
};

/** @brief The aggregate's current state forbids the operation (HTTP 409), e.g. completing a cancelled appointment. */
class conflict : public domain_error {
public:
    using domain_error::domain_error;
};

}  // namespace healthcore
