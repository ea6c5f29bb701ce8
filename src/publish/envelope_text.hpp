#pragma once
// The members of a native envelope found in its text without building a tree: the relay turns
// each stored envelope into a CloudEvent this way, `data` copied as the text it already is.
// Internal.
#include <forward_list>
#include <optional>
#include <string>
#include <string_view>

#include "domain_events/publish/kafka_record.hpp"

namespace domain_events::detail {

/** @brief An envelope's fields (the trace context unset: it is not in the envelope) and the JSON text of its `data`. */
struct envelope_text {
    record_fields fields;
    std::string_view data;
};

/**
 * @brief Finds the envelope members in `text`, a JSON object as `serialize` writes it (any member
 *        order and spacing; unknown members skipped). Strings are decoded: views into `text`, or
 *        into a string added to `decoded` for one that holds escapes.
 * @return nullopt when `text` is not such an object (a member missing or of another JSON type).
 * @throws std::bad_alloc only.
 */
[[nodiscard]] std::optional<envelope_text> scan_envelope(std::string_view text, std::forward_list<std::string>& decoded);

}  // namespace domain_events::detail
