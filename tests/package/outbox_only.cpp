// A publishing-only program (a web application's process): it links domain_events::outbox alone,
// so Kafka, HTTP and the consumer machinery are not in it. run.cmake checks its link line and
// its dynamic dependencies for librdkafka.
#include <domain_events/publish/model_writes.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/version.hpp>

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
    settings.topic_prefix = "gadgets";
    domain_events::publisher events(db, signals, settings);
    db.execute("CREATE TABLE IF NOT EXISTS gadget (id INTEGER PRIMARY KEY, name TEXT, version INTEGER)");

    domain_events::model_change change{.model = "gadget", .data = {{"name", "lever"}}};
    domain_events::save_model(db, signals, change, [&](domain_events::model_change& c) {
        db.prepare("INSERT INTO gadget (name, version) VALUES (?, 1)")->bind_all(std::string("lever")).run();
        c.id = std::to_string(db.last_insert_rowid());
        c.version = 1;
        c.created = true;
    });
    const auto counts = domain_events::outbox(db).counts(domain_events::now_ms());
    std::printf("domain_events %s, outbox only: %lld pending event(s)\n", DOMAIN_EVENTS_VERSION,
                static_cast<long long>(counts.pending));
    return counts.pending == 1 ? 0 : 1;
}
