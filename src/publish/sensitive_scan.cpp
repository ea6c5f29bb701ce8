#include "publish/sensitive_scan.hpp"

namespace domain_events::detail {
namespace {

// Non-ASCII bytes count as letters, so "tokenü" stays one word.
bool is_separator(char c) {
    return static_cast<unsigned char>(c) < 0x80 && !is_lower(c) && !is_upper(c) && !is_digit(c);
}

// An upper-case letter starts a word after a lower-case letter or digit ("passwordHash"), or
// when it ends an acronym ("HTTPToken": the 'T' of "Token").
bool starts_camel_word(std::string_view key, std::size_t i) {
    if (i == 0 || !is_upper(key[i])) return false;
    const char previous = key[i - 1];
    return is_lower(previous) || is_digit(previous) ||
           (is_upper(previous) && i + 1 < key.size() && is_lower(key[i + 1]));
}

// The words of `key` between single underscores: "accessToken" -> "_access_token_",
// "user--password" -> "_user_password_". A whole-word match is then a substring match.
}  // namespace

std::string word_form(std::string_view key) {
    std::string out = "_";
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool breaks = is_separator(c) || starts_camel_word(key, i);
        if (breaks && out.back() != '_') out += '_';
        if (!is_separator(c)) out += is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (out.back() != '_') out += '_';
    return out;
}

}  // namespace domain_events::detail
