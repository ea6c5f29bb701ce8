// Integrator example: an online shop with its own aggregates and events (shop_store.hpp), the
// relay and a consumer in its process, the consumer in the background with its own schema
// (sales_projection.hpp), its projection checked against the shop's tables at the end. No
// KAFKA_BOOTSTRAP_SERVERS: librdkafka's embedded mock cluster.   shop [DIR]  (a fresh directory)
#include <domain_events/domain_events.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include "sales_projection.hpp"
#include "shop_store.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

int main(int argc, char** argv) try {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    auto settings = de::config_from_environment(de::process_environment());
    settings.database_path = (dir / "shop.db").string();
    settings.topic_prefix = settings.topic_prefix.value_or("shop");  // shop.order.paid, unless KAFKA_TOPIC_PREFIX
    const auto embedded = de::embedded_cluster_unless_configured(settings);

    de::database db(settings.database_path);
    de::model_signals signals;  // no model saves here: every event is published by hand
    de::publisher events(db, signals, settings);
    shop::create_tables(db);
    shop::store store{db, events};
    de::relay relay(settings);
    const auto wake = relay.wake_on_commit(events);  // after the relay: it must not outlive it
    relay.start();

    store.register_customer("c-1", "Grace Hopper");
    store.register_customer("c-2", "Katherine Johnson");
    store.place_order("o-1", "c-1", 4'200);
    std::printf("order.paid of o-1 is its version %lld\n", static_cast<long long>(store.pay_order("o-1").aggregate_version));
    if (!relay.wait_until_published(30s)) throw de::publish_error("not published in 30 s: " + relay.counters().last_error, -1);

    de::consumer sales(settings, {.group_id = "sales", .event_types = {"customer.registered", "order.placed", "order.paid"},
                                  .database_path = (dir / "sales.db").string(), .schema = shop::sales_schema()});
    shop::add_sales_handlers(sales);
    sales.start();  // applies events on a thread of its own while the shop goes on
    store.place_order("o-2", "c-2", 1'500);
    store.place_order("o-3", "c-1", 2'500);
    store.pay_order("o-3");
    const bool caught_up = relay.wait_until_published(30s) && sales.wait_until_caught_up(30s);
    sales.stop(10s);  // rethrows what ended the consumer's run, if anything did
    relay.stop();
    if (!caught_up) throw de::publish_error("the projection did not catch up in 30 s", -1);

    const auto differences = shop::projection_differences((dir / "sales.db").string(), settings.database_path);
    std::printf("applied %llu events in the background, and the sales projection %s the shop's tables\n",
                static_cast<unsigned long long>(sales.counters().applied), differences == 0 ? "equals" : "differs from");
    return differences == 0 ? 0 : 1;
} catch (const de::error& e) {
    std::fprintf(stderr, "shop: %s\n", e.what());
    return 1;
}
