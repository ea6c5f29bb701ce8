#include "domain_events/ops/consumer_program.hpp"

#include <string>
#include <unordered_map>
#include <utility>

#include "domain_events/storage/database.hpp"
#include "domain_events/event.hpp"
#include "domain_events/consume/subscription.hpp"

namespace domain_events {

std::unique_ptr<consumer> make_program_consumer(const consumer_program& program, const config& settings,
                                                consumer_options options, applied_report report) {
    const subscription subscribed(options.event_types, topic_prefix_of(settings), settings.routing);
    if (options.schema.version == 0) options.schema = program.schema;
    // Each handler's words wait here, by event id, until its batch's transaction committed: a
    // batch applies several events before the hook runs for each. Both run on the run() thread.
    auto pending = std::make_shared<std::unordered_map<std::string, std::string>>();
    auto previous_hook = std::move(options.after_commit);
    options.after_commit = [pending, previous_hook = std::move(previous_hook), report = std::move(report)](const event& e) {
        if (previous_hook) previous_hook(e);
        auto words = pending->extract(e.event_id);
        if (report) report(e, words.empty() ? std::string_view{} : std::string_view{words.mapped()});
    };
    const auto reporting = [pending](reporting_handler handler) -> event_handler {
        return [pending, handler = std::move(handler)](const event& e, database& db) {
            (*pending)[e.event_id] = handler(e, db);
        };
    };

    auto made = std::make_unique<consumer>(settings, std::move(options));
    for (const auto& [type, handler] : program.handlers) {
        if (subscribed.matches(type)) made->on(type, reporting(handler));
    }
    if (program.fallback) made->otherwise(reporting(program.fallback));
    return made;
}

}  // namespace domain_events
