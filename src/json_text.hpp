#pragma once
// Writing JSON text piece by piece, for envelopes and CloudEvents written without a tree. Internal.
#include <algorithm>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace domain_events::detail {

/**
 * @brief Appends `text` as a JSON string. Envelope strings are nearly always plain printable
 *        ASCII, which JSON takes as it is; anything else goes through nlohmann's escaping and
 *        UTF-8 check (a dump costs more than the whole plain-ASCII path, and this runs for eight
 *        strings per saved event).
 * @throws nlohmann::json::type_error when `text` is not UTF-8.
 */
inline void append_json_string(std::string& out, std::string_view text) {
    const bool plain = std::all_of(text.begin(), text.end(),
                                   [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    if (!plain) {
        out += nlohmann::json(std::string(text)).dump();
        return;
    }
    out += '"';
    out += text;
    out += '"';
}

}  // namespace domain_events::detail
