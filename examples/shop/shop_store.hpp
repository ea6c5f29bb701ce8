// The shop's side: its own aggregates, customer and order, each write committing its row and its
// event together. The rows keep no version column: publish() without a version gives each
// aggregate its next one (order.placed v1, order.paid v2), kept by the library in the outbox.
#pragma once
#include <domain_events/domain_events.hpp>

namespace shop {
namespace de = domain_events;

inline void create_tables(de::database& db) {
    db.execute("CREATE TABLE IF NOT EXISTS customer (id TEXT PRIMARY KEY, name TEXT NOT NULL);"
               "CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES "
               "customer (id), total_cents INTEGER NOT NULL, status TEXT NOT NULL)");
}

/** @brief The shop's writes, each in its own transaction with its event. */
struct store {
    de::database& db;
    de::publisher& events;

    void register_customer(const std::string& id, const std::string& name) {
        db.atomic([&] {
            db.prepare("INSERT INTO customer VALUES (?, ?)")->bind_all(id, name).run();
            events.publish(db, "customer.registered", "customer", id, {{"name", name}});
        });
    }
    void place_order(const std::string& id, const std::string& customer_id, std::int64_t total_cents) {
        db.atomic([&] {
            db.prepare("INSERT INTO orders VALUES (?, ?, ?, 'placed')")->bind_all(id, customer_id, total_cents).run();
            events.publish(db, "order.placed", "order", id, {{"customer_id", customer_id}, {"total_cents", total_cents}});
        });
    }
    /** @return the event as recorded, with the version the library gave it. */
    de::event pay_order(const std::string& id) {
        return db.atomic([&] {
            auto paid = db.prepare("UPDATE orders SET status = 'paid' WHERE id = ? AND status = 'placed' "
                                   "RETURNING customer_id, total_cents");
            paid->bind_all(id);
            if (!paid->step()) throw de::usage_error("order " + id + " is not waiting for payment");
            nlohmann::json data{{"customer_id", paid->column_text(0)}, {"total_cents", paid->column_int64(1)}};
            return events.publish(db, "order.paid", "order", id, std::move(data));
        });
    }
};
}  // namespace shop
