#include "healthcore/fields.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

#include <domain_events/error.hpp>
#include <domain_events/event.hpp>

namespace healthcore {
namespace {

using domain_events::validation_error;

bool blank(std::string_view value) {
    return std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

// Reads a fixed-width run of digits; false unless every character is a digit.
bool read_digits(std::string_view text, int& out) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
        return false;
    return std::from_chars(text.data(), text.data() + text.size(), out).ec == std::errc{};
}

}  // namespace

timestamp now() noexcept { return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

std::string require_text(std::string_view field, std::string value, std::size_t max_length) {
    if (blank(value)) throw validation_error(std::string(field), "must not be empty");
    if (value.size() > max_length)
        throw validation_error(std::string(field), "is " + std::to_string(value.size()) + " characters, at most " +
                                                       std::to_string(max_length) + " allowed");
    return value;
}

std::string require_email(std::string_view field, std::string value) {
    const auto at = value.find('@');
    const auto dot = value.rfind('.');
    const bool ok = !value.empty() && value.size() <= 254 && at != std::string::npos && at > 0 &&
                    value.find('@', at + 1) == std::string::npos && dot != std::string::npos && dot > at + 1 &&
                    dot + 1 < value.size() &&
                    std::none_of(value.begin(), value.end(), [](unsigned char c) { return std::isspace(c) != 0; });
    if (!ok) throw validation_error(std::string(field), "is not an email address like name@example.org");
    return value;
}

std::string require_phone(std::string_view field, std::string value) {
    if (value.empty()) return value;
    const bool ok = value.size() >= 5 && value.size() <= 20 &&
                    std::all_of(value.begin(), value.end(), [](unsigned char c) {
                        return std::isdigit(c) != 0 || c == ' ' || c == '+' || c == '-' || c == '(' || c == ')';
                    });
    if (!ok)
        throw validation_error(std::string(field),
                               "is not a phone number (5 to 20 digits, spaces, '+', '-', '(', ')')");
    return value;
}

std::chrono::year_month_day parse_date(std::string_view field, std::string_view text) {
    int y = 0;
    int m = 0;
    int d = 0;
    const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' && read_digits(text.substr(0, 4), y) &&
                        read_digits(text.substr(5, 2), m) && read_digits(text.substr(8, 2), d);
    const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                           std::chrono::day{static_cast<unsigned>(d)}};
    if (!shaped || !date.ok()) throw validation_error(std::string(field), "is not a date YYYY-MM-DD");
    return date;
}

std::string format_date(std::chrono::year_month_day date) {
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return text;
}

std::chrono::year_month_day require_not_future(std::string_view field, std::chrono::year_month_day date) {
    if (!date.ok()) throw validation_error(std::string(field), "is not a calendar date");
    const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
    if (date > today) throw validation_error(std::string(field), "is in the future");
    return date;
}

timestamp parse_time(std::string_view field, std::string_view text) {
    return domain_events::parse_timestamp(text, field);
}

std::string format_time(timestamp t) { return domain_events::format_timestamp(t); }

}  // namespace healthcore
