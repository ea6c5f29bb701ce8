// Fuzz target: arbitrary bytes as the value of a Kafka message reaching a consumer. Bad input
// must never stop a consumer, so the check never throws: it returns either the event (which
// then serializes to text that reads back as the same event) or a problem with its reason and
// text for the dead-letter headers, never both and never neither. Anything else is a finding.
#include <domain_events/event.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consume/message_check.hpp"

namespace de = domain_events;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view value(reinterpret_cast<const char*>(data), size);
    // A small limit as well as the default, so the size check is reached by short inputs too.
    for (const std::size_t max_bytes : {std::size_t{1} << 20, std::size_t{64}}) {
        const auto checked = de::detail::check_value(value, {max_bytes, de::default_max_json_depth});
        if (checked.parsed.has_value() == checked.problem.has_value()) std::abort();
        if (checked.problem) {
            if (checked.problem->text.empty()) std::abort();
            continue;
        }
        if (value.size() > max_bytes) std::abort();
        if (de::parse_event(de::serialize(*checked.parsed)) != *checked.parsed) std::abort();
    }
    return 0;
}
