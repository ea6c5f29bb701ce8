#pragma once
// Reading the clinic API's requests. Every refusal is a validation_error naming the field at
// fault, never repeating what the client sent (it may be personal data).
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <domain_events/ops/http_server.hpp>
#include <domain_events/publish/publish_scope.hpp>

namespace healthcore::api {

/** @brief The body as an object holding only `fields` (each optional here; handlers require theirs). */
[[nodiscard]] nlohmann::json body_with(const domain_events::http_request& req, std::span<const std::string_view> fields);
/** @brief The string `field`, absent or null: nullopt; another type is refused, naming only the type. */
[[nodiscard]] std::optional<std::string> optional_string(const nlohmann::json& body, const char* field);
[[nodiscard]] std::string required_string(const nlohmann::json& body, const char* field);
/** @brief An id in the body: an integer from 1 to 2^63-1. */
[[nodiscard]] std::int64_t required_id(const nlohmann::json& body, const char* field);
/** @brief An id in the URL (the text is never repeated). */
[[nodiscard]] std::int64_t parse_id(const char* field, const std::string& text);
/** @brief The id the route's pattern captured. */
[[nodiscard]] std::int64_t path_id(const domain_events::http_request& req);
[[nodiscard]] std::optional<std::chrono::year_month_day> optional_date(const nlohmann::json& body, const char* field);
/** @brief The publish context of the request: its X-Request-ID (bounded, visible ASCII) as the correlation id. */
[[nodiscard]] domain_events::publish_context context_of(const domain_events::http_request& req);

inline constexpr std::array<std::string_view, 5> patient_fields{"name", "email", "phone", "date_of_birth", "national_id"};
inline constexpr std::array<std::string_view, 4> appointment_fields{"patient_id", "doctor", "reason", "scheduled_at"};
inline constexpr std::array<std::string_view, 1> cancel_fields{"reason"};

}  // namespace healthcore::api
