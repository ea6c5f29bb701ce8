// Integrator task: publish a custom event by hand.
//
// Not every event is a row's create/update/delete (a payment captured, a login refused). Record
// such an event with publisher::publish inside the transaction of the write it belongs to: both
// commit, or neither does. Validation runs before anything is written.
//
//   publish_custom_event [DB]        (default: publish_custom_event.db)
#include <domain_events/domain_events.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace de = domain_events;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "publish_custom_event.db";
    try {
        de::database db(path);
        de::model_signals signals;
        de::config settings;
        settings.topic_prefix = "billing";  // billing.payment.captured
        settings.database_path = path;
        de::publisher events(db, signals, settings);
        db.execute("CREATE TABLE IF NOT EXISTS payment (id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL, "
                   "amount_cents INTEGER NOT NULL, version INTEGER NOT NULL)");

        // The row and its event in one transaction; the correlation id traces the request.
        const auto capture = [&](std::int64_t invoice_id, std::int64_t cents) {
            db.prepare("INSERT INTO payment (invoice_id, amount_cents, version) VALUES (?, ?, 1)")
                ->bind_all(invoice_id, cents)
                .run();
            return events.publish(db, "payment.captured", "payment", std::to_string(db.last_insert_rowid()), 1,
                                  {{"invoice_id", invoice_id}, {"amount_cents", cents}},
                                  {.correlation_id = "checkout-7f3a", .causation_id = std::nullopt});
        };
        const auto recorded = db.atomic([&] { return capture(42, 9'900); });
        std::printf("recorded: %s\n", de::serialize(recorded).c_str());

        // A later failure in the same unit of work rolls back the row and its event together.
        try {
            db.atomic([&] {
                capture(43, 100);
                throw std::runtime_error("card declined");
            });
        } catch (const std::runtime_error& e) {
            std::printf("rolled back, neither payment nor event kept: %s\n", e.what());
        }

        // A sensitive field (password, token, secret, ssn by default) is refused before any write.
        try {
            db.atomic([&] {
                events.publish(db, "payment.captured", "payment", "1", 1, {{"card_token", "tok_visa_4242"}});
            });
        } catch (const de::validation_error& e) {
            std::printf("refused: %s\n", e.what());
        }

        const auto counts = de::outbox(db).counts(de::now_ms());
        std::printf("outbox: %lld pending\n", static_cast<long long>(counts.pending));
    } catch (const de::error& e) {
        std::fprintf(stderr, "publish_custom_event: %s\n", e.what());
        return 1;
    }
    return 0;
}
