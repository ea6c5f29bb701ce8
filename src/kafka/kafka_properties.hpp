#pragma once
// One rule for building a client's librdkafka properties: the library's defaults, the user's
// properties on top, except the pinned ones the library's guarantees rest on. Internal.
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace domain_events::detail {

/** @brief A property the user may set only to a value `accepts`; `why` says what another would break. */
struct pinned_property {
    std::string name;
    std::function<bool(const std::string& value)> accepts;
    std::string why;  ///< follows "<who>: librdkafka property <name>='<value>' "
};

/**
 * @brief `defaults` with every user property on top (a user value replaces a default, pinned
 *        or not, when it is accepted).
 * @throws config_error "<who>: librdkafka property <name>='<value>' <why>" for the first user
 *         property a pin refuses.
 */
[[nodiscard]] std::map<std::string, std::string> merge_properties(std::map<std::string, std::string> defaults,
                                                                  const std::map<std::string, std::string>& user,
                                                                  std::span<const pinned_property> pinned,
                                                                  std::string_view who);

/** @brief A pin accepting only `value`. */
[[nodiscard]] pinned_property pin_to(std::string name, std::string value, std::string why);

/** @brief A pin accepting a plain decimal number >= `floor`. */
[[nodiscard]] pinned_property pin_at_least(std::string name, std::size_t floor, std::string why);

/** @brief The pin on acks: all (or -1), so an acknowledged record is on every in-sync replica. */
[[nodiscard]] pinned_property pin_acks_all(std::string_view owner);

}  // namespace domain_events::detail
