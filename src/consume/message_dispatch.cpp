#include "consume/message_dispatch.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "domain_events/error.hpp"
#include "domain_events/publish/topic_routing.hpp"

namespace domain_events::detail {

// Why `e` does not belong in `topic`, unless the consumer accepts that: a producer that put it
// there by mistake would otherwise reach the handlers of another type, unnoticed.
std::optional<std::string> message_dispatch::topic_mismatch(std::string_view topic, const event& e) const {
    if (c_.options.accept_topic_mismatch) return std::nullopt;
    const auto expected = topic_for(topic_prefix_of(c_.settings), c_.settings.routing, e.event_type, e.aggregate_type);
    if (expected == topic) return std::nullopt;
    // The names passed the envelope rules (lower-case words), but their length is the producer's.
    return "event_type '" + e.event_type.substr(0, 200) + "' (aggregate_type '" + e.aggregate_type.substr(0, 200) +
           "') routes to '" + expected.substr(0, 400) + "', not to '" + std::string(topic) + "' where it was found";
}

batch_applier::outcome message_dispatch::process(kafka_message m, checked_message checked) {
    const auto& o = c_.options;
    const message_position at{rd_kafka_topic_name(m->rkt), m->partition, m->offset};
    if (checked.problem) return c_.applier.dead_letter_now(m, at, checked.problem->reason, checked.problem->text, 0);
    auto& e = *checked.parsed;
    if (auto mismatch = topic_mismatch(at.topic, e)) {
        return c_.applier.dead_letter_now(m, at, dead_letter_reason::topic_mismatch, *mismatch, 0);
    }
    const event_handler* handler = c_.topics.matches(e.event_type) ? c_.handlers.find(e.event_type) : nullptr;
    if (handler == nullptr) {
        ++c_.tally.skipped;
        c_.log.debug("consumer {}: {} event {} not subscribed or without a handler; skipped", o.group_id, e.event_type,
                     e.event_id);
        c_.applier.skip(std::move(m), at);
        return batch_applier::outcome::done;
    }
    // Another producer (another language, a script) may not keep sensitive fields out.
    try {
        c_.sensitive.visit(e.data, "data");
    } catch (const validation_error& found) {
        return c_.applier.dead_letter_now(m, at, dead_letter_reason::sensitive_data, found.what(), 0);
    }
    // The process died while a handler ran on this very message, crash_limit times in a row:
    // running it again would only die again, and the group would never get past it.
    const auto deaths = c_.journal.deaths(at.topic, at.partition, at.offset);
    if (deaths > 0 && std::cmp_greater_equal(deaths, o.crash_limit)) {
        c_.journal.forget(at.topic, at.partition);
        const auto why = "the consumer process died " + std::to_string(deaths) +
                         " times in a row while applying this message (crash_limit " + std::to_string(o.crash_limit) +
                         ")";
        c_.log.error("consumer {}: {} event {}: {}; dead-lettered", o.group_id, e.event_type, e.event_id, why);
        return c_.applier.dead_letter_now(m, at, dead_letter_reason::crashed_consumer, why, static_cast<int>(deaths));
    }
    if (deaths > 0) {
        c_.log.warn("consumer {}: the last {} process(es) died applying {} event {}; trying it again ({} of {})",
                    o.group_id, deaths, e.event_type, e.event_id, deaths + 1, o.crash_limit);
    }
    return c_.applier.apply(std::move(m), at, std::move(e), *handler, deaths);
}

}  // namespace domain_events::detail
