// The sales team's side: a consumer's projection of the shop's events into its own table, which
// the consumer creates (its schema hook) before any event. Each handler adds to its customer's
// row, creating it if needed, so the order in which the three topics are read does not matter.
#pragma once
#include <domain_events/domain_events.hpp>

namespace shop {
namespace de = domain_events;

inline de::consumer_schema sales_schema() {
    return de::consumer_schema::script(1, "CREATE TABLE customer_sales (customer_id TEXT PRIMARY KEY, name TEXT DEFAULT '', "
                                          "orders_placed INT DEFAULT 0, orders_paid INT DEFAULT 0, paid_cents INT DEFAULT 0)");
}

inline void add_sales_handlers(de::consumer& consumer) {
    const auto customer_of = [](const de::event& e) { return e.data.at("customer_id").get<std::string>(); };
    consumer.on("customer.registered", [](const de::event& e, de::database& db) {
        db.prepare("INSERT INTO customer_sales (customer_id, name) VALUES (?, ?) ON CONFLICT DO UPDATE SET name = excluded.name")
            ->bind_all(e.aggregate_id, e.data.at("name").get<std::string>()).run();
    });
    consumer.on("order.placed", [=](const de::event& e, de::database& db) {
        db.prepare("INSERT INTO customer_sales (customer_id, orders_placed) VALUES (?, 1) "
                   "ON CONFLICT DO UPDATE SET orders_placed = orders_placed + 1")->bind_all(customer_of(e)).run();
    });
    consumer.on("order.paid", [=](const de::event& e, de::database& db) {
        db.prepare("INSERT INTO customer_sales (customer_id, orders_paid, paid_cents) VALUES (?, 1, ?) ON CONFLICT DO "
                   "UPDATE SET orders_paid = orders_paid + 1, paid_cents = paid_cents + excluded.paid_cents")
            ->bind_all(customer_of(e), e.data.at("total_cents").get<std::int64_t>()).run();
    });
}

/** @brief Rows in which the projection and the shop's tables differ (0: they agree). */
inline std::int64_t projection_differences(const std::string& sales_path, const std::string& shop_path) {
    de::database sales(sales_path);
    sales.prepare("ATTACH ? AS shop")->bind_all(shop_path).run();
    auto differences = sales.prepare(R"sql(
        WITH expected AS (SELECT c.id, c.name, count(o.id), count(o.id) FILTER (WHERE o.status = 'paid'),
                                 coalesce(sum(o.total_cents) FILTER (WHERE o.status = 'paid'), 0)
                          FROM shop.customer c LEFT JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id),
             projected AS (SELECT customer_id, name, orders_placed, orders_paid, paid_cents FROM customer_sales)
        SELECT (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM projected))
             + (SELECT count(*) FROM (SELECT * FROM projected EXCEPT SELECT * FROM expected)))sql");
    differences->step();
    return differences->column_int64(0);
}
}  // namespace shop
