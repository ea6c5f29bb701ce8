#include "outbox_fill.hpp"

#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>
#include <domain_events/storage/outbox.hpp>

#include <map>

namespace domain_events::testing {

std::vector<std::int64_t> fill_outbox(const std::string& db_path, const fill_plan& plan) {
    database db(db_path);
    outbox::install(db);
    outbox box(db);
    // Continue each aggregate's version where earlier fills of this file left it.
    std::map<std::string, std::int64_t> versions;
    {
        auto last = db.prepare("SELECT aggregate_id, max(aggregate_version) FROM domain_events_outbox GROUP BY aggregate_id");
        while (last->step()) versions[last->column_text(0)] = last->column_int64(1);
    }

    std::vector<std::int64_t> positions;
    positions.reserve(plan.events);
    const std::string filler(plan.payload_bytes, 'x');
    std::size_t written = 0;
    while (written < plan.events) {
        db.atomic([&] {
            for (std::size_t i = 0; i < plan.events_per_transaction && written < plan.events; ++i, ++written) {
                const auto aggregate = "agg-" + std::to_string(written % plan.aggregates);
                const auto version = ++versions[aggregate];
                const auto& type = plan.types[static_cast<std::size_t>(version - 1) % plan.types.size()];
                nlohmann::json data = {{"n", written}};
                if (!filler.empty()) data["filler"] = filler;
                event_metadata metadata;
                metadata.source = "relay-tests";
                metadata.correlation_id = "corr-" + std::to_string(written);
                positions.push_back(box.append(make_event(type, plan.aggregate_type, aggregate, version, data, metadata)));
            }
        });
    }
    return positions;
}

}  // namespace domain_events::testing
