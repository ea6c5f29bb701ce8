// Proves the installed package is usable: one include, one target, a save that records an event.
// Built twice: against the umbrella (domain_events::domain_events) and, as outbox_only, against
// domain_events::outbox alone, as a publishing-only program would be (run.cmake checks that one
// has no librdkafka).
#ifdef PACKAGE_OUTBOX_ONLY
#include <domain_events/publish/model_writes.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/version.hpp>
#else
#include <domain_events/domain_events.hpp>
#endif

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DB_PATH\n", argv[0]);
        return 2;
    }
    domain_events::database db(argv[1]);
    domain_events::model_signals signals;
    domain_events::config settings;
    settings.topic_prefix = "widgets";  // the library has no default prefix
    domain_events::publisher events(db, signals, settings);
    db.execute("CREATE TABLE IF NOT EXISTS widget (id INTEGER PRIMARY KEY, name TEXT, version INTEGER)");

    domain_events::model_change change{.model = "widget", .data = {{"name", "sprocket"}}};
    domain_events::save_model(db, signals, change, [&](domain_events::model_change& c) {
        db.prepare("INSERT INTO widget (name, version) VALUES (?, 1)")->bind_all(std::string("sprocket")).run();
        c.id = std::to_string(db.last_insert_rowid());
        c.version = 1;
        c.created = true;
    });

    const auto counts = domain_events::outbox(db).counts(domain_events::now_ms());
    std::printf("domain_events %s: %lld pending event(s)\n", DOMAIN_EVENTS_VERSION,
                static_cast<long long>(counts.pending));
    return counts.pending == 1 ? 0 : 1;
}
