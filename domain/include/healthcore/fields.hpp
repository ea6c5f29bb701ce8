#pragma once
/** @file
 * Input checks shared by the clinic's models and the REST API. Each throws
 * `domain_events::validation_error` whose `field()` is the field and whose message says what
 * was expected, never the value (it is a patient's personal data, and a client's text).
 */
#include <chrono>
#include <string>
#include <string_view>

namespace healthcore {

/** @brief UTC time with millisecond precision, as the library's event timestamps. */
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

/** @brief Now, truncated to milliseconds. */
[[nodiscard]] timestamp now() noexcept;

/** @brief `value` unless it is empty or blank, or longer than `max_length`. @throws validation_error. */
std::string require_text(std::string_view field, std::string value, std::size_t max_length = 200);

/** @brief `value` unless it is not `local@domain.tld` (no spaces, one `@`). @throws validation_error. */
std::string require_email(std::string_view field, std::string value);

/** @brief `value` when empty or 5..20 of digits, spaces, `+-()`. @throws validation_error. */
std::string require_phone(std::string_view field, std::string value);

/** @brief Parses `YYYY-MM-DD` into a valid calendar date. @throws validation_error naming the text. */
[[nodiscard]] std::chrono::year_month_day parse_date(std::string_view field, std::string_view text);

/** @brief `YYYY-MM-DD`. */
[[nodiscard]] std::string format_date(std::chrono::year_month_day date);

/** @brief `date` unless it is not a calendar date or is after today (UTC). @throws validation_error naming the date. */
std::chrono::year_month_day require_not_future(std::string_view field, std::chrono::year_month_day date);

/**
 * @brief Parses a UTC ISO-8601 timestamp (`2026-03-01T09:30:00Z`, fraction optional).
 * @throws validation_error naming `field` and the text.
 */
[[nodiscard]] timestamp parse_time(std::string_view field, std::string_view text);

/** @brief `2026-03-01T09:30:00.000Z`. */
[[nodiscard]] std::string format_time(timestamp t);

}  // namespace healthcore
