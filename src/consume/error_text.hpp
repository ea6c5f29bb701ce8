#pragma once
// Error texts a consumer keeps about a message (in its dead letter, its log lines and its
// status): their words come from the message's producer or from a handler, so of any length.
// Internal.
#include <cstddef>
#include <string>
#include <string_view>

namespace domain_events::detail {

/// An error text about one message, at most.
inline constexpr std::size_t max_error_text_bytes = 1024;

/** @brief `text` cut to at most `max_bytes` at a UTF-8 character boundary, ending "…" when cut. */
[[nodiscard]] std::string cut_text(std::string_view text, std::size_t max_bytes = max_error_text_bytes);

}  // namespace domain_events::detail
