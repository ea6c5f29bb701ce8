#include "consume/error_text.hpp"

namespace domain_events::detail {

std::string cut_text(std::string_view text, std::size_t max_bytes) {
    constexpr std::string_view ellipsis = "\u2026";
    if (text.size() <= max_bytes) return std::string(text);
    if (max_bytes < ellipsis.size()) return {};
    auto end = max_bytes - ellipsis.size();
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not inside a character
    return std::string(text.substr(0, end)) + std::string(ellipsis);
}

}  // namespace domain_events::detail
