// Integrator task: define a model and its events.
//
// A model is a table with a version column plus a repository that writes it only through
// save_model / delete_model. The publisher, connected once to the model signals, turns each
// write into `<model>.created`, `<model>.updated` (changed fields only) or `<model>.deleted` in
// the outbox, in the same transaction as the row. domain/ is the full-size version of this.
// Usage: define_model [DB]   (default: define_model.db)
#include <domain_events/domain_events.hpp>

#include <cstdio>
#include <string>

namespace de = domain_events;

// The model. `version` is bumped by every write: it becomes the events' aggregate_version.
struct invoice {
    std::int64_t id = 0;
    std::string customer;
    std::int64_t amount_cents = 0;
    std::int64_t version = 0;
};

// The repository: the only way to write an invoice, so no write can skip its event.
class invoice_repository {
public:
    invoice_repository(de::database& db, de::model_signals& signals) : db_(db), signals_(signals) {
        db_.execute("CREATE TABLE IF NOT EXISTS invoice (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, "
                    "amount_cents INTEGER NOT NULL, version INTEGER NOT NULL)");
    }

    invoice create(std::string customer, std::int64_t amount_cents) {
        invoice inv{.id = 0, .customer = std::move(customer), .amount_cents = amount_cents, .version = 1};
        de::save_model(db_, signals_, {.model = "invoice", .version = 1, .data = data(inv), .created = true},
                       [&](de::model_change& change) {
                           db_.prepare("INSERT INTO invoice (customer, amount_cents, version) VALUES (?, ?, 1)")
                               ->bind_all(inv.customer, inv.amount_cents)
                               .run();
                           inv.id = db_.last_insert_rowid();
                           change.id = std::to_string(inv.id);  // known only after the insert
                           change.data = data(inv);
                       });
        return inv;
    }

    invoice change_amount(invoice inv, std::int64_t amount_cents) {
        if (amount_cents == inv.amount_cents) return inv;  // nothing changed: no write, no event
        inv.amount_cents = amount_cents;
        ++inv.version;
        de::save_model(db_, signals_,
                       {.model = "invoice", .id = std::to_string(inv.id), .version = inv.version, .data = data(inv),
                        .changed_fields = {"amount_cents"}},
                       [&](de::model_change&) {
                           db_.prepare("UPDATE invoice SET amount_cents = ?, version = ? WHERE id = ?")
                               ->bind_all(inv.amount_cents, inv.version, inv.id)
                               .run();
                       });
        return inv;
    }

    void remove(const invoice& inv) {
        de::delete_model(db_, signals_,
                         {.model = "invoice", .id = std::to_string(inv.id), .version = inv.version + 1,
                          .data = {{"invoice_id", inv.id}}},
                         [&](de::model_change&) { db_.prepare("DELETE FROM invoice WHERE id = ?")->bind_all(inv.id).run(); });
    }

private:
    // What an event may show of an invoice (leave sensitive columns out here).
    static nlohmann::json data(const invoice& inv) {
        return {{"invoice_id", inv.id}, {"customer", inv.customer}, {"amount_cents", inv.amount_cents}};
    }

    de::database& db_;
    de::model_signals& signals_;
};

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "define_model.db";
    try {
        de::database db(path);
        de::model_signals signals;  // one per application, handed to repositories and the publisher
        de::config settings;
        settings.topic_prefix = "billing";  // the application names its topics: billing.invoice.created
        settings.database_path = path;
        de::publisher events(db, signals, settings);  // connects the model signals to the outbox
        invoice_repository invoices(db, signals);

        auto inv = invoices.create("ACME Ltd", 12'500);  // invoice.created, version 1
        inv = invoices.change_amount(inv, 9'900);        // invoice.updated, version 2
        invoices.remove(inv);                            // invoice.deleted, version 3 (topics billing.invoice.*)

        const auto pending = de::outbox(db).next_batch(1000);
        for (std::size_t i = pending.size() >= 3 ? pending.size() - 3 : 0; i < pending.size(); ++i)
            std::printf("%s\n", pending[i].payload.c_str());
    } catch (const de::error& e) {
        std::fprintf(stderr, "define_model: %s\n", e.what());
        return 1;
    }
    return 0;
}
