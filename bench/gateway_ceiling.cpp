// The physical ceiling beside the gateway's figures (scripts/bench-gateway.sh): one connection
// inserting the rows a gateway write makes per event (its outbox row and its aggregate's version)
// in transactions of `batch` events, with no HTTP, no JSON parsing, no validation.
//
//   build/bench/bench_gateway_ceiling [--events 200000] [--batch 100]
#include <domain_events/domain_events.hpp>

#include "bench_support.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace de = domain_events;

int main(int argc, char** argv) {
    const bench::flags args(argc, argv, {{"events", "200000"}, {"batch", "100"}});
    const long total = std::max(1L, args.number("events"));
    const long batch = std::max(1L, args.number("batch"));
    const bench::scratch_dir dir("de_bench_gateway_ceiling");
    de::database db(dir.file("ceiling.db"));
    de::outbox::install(db);
    const nlohmann::json data = {{"order_id", 1}, {"customer", "c-1"}, {"total_cents", 1299}, {"currency", "EUR"}, {"items", 3}};
    const auto start = std::chrono::steady_clock::now();
    for (long done = 0; done < total;) {
        db.execute("BEGIN IMMEDIATE");
        for (long i = 0; i < batch && done < total; ++i, ++done) {
            const auto aggregate = "w1-" + std::to_string(done % 1000);
            const auto version = done / 1000 + 1;
            const auto payload = de::serialize(de::make_event("order.placed", "order", aggregate, version, data));
            db.prepare("INSERT INTO domain_events_aggregate_versions (aggregate_type, aggregate_id, version) VALUES (?, ?, ?) "
                       "ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = excluded.version")
                ->bind_all("order", aggregate, static_cast<std::int64_t>(version))
                .run();
            db.prepare("INSERT INTO domain_events_outbox (event_id, event_type, aggregate_type, aggregate_id, "
                       "aggregate_version, correlation_id, schema_version, payload, created_at_ms) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                ->bind_all(de::new_event_id(), "order.placed", "order", aggregate, static_cast<std::int64_t>(version),
                          nullptr, "1.0", payload, static_cast<std::int64_t>(done))
                .run();
        }
        db.execute("COMMIT");
    }
    const double rate = static_cast<double>(total) / bench::seconds_since(start);
    std::printf("raw SQLite ceiling, %ld events per transaction: %.0f events/s\n", batch, rate);
    return 0;
}
