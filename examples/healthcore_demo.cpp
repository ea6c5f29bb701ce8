// The end-to-end demo, as far as the library goes today: patients saved through model signals,
// each save recording its event in the outbox in the same transaction, and the relay publishing
// them to Kafka (librdkafka's in-process mock cluster unless KAFKA_BOOTSTRAP_SERVERS is set).
// The consumers and the full clinic domain are later milestones; the demo says so.
//
//   build/examples/healthcore_demo [--db PATH] [--patients N]
#include <domain_events/domain_events.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <cstdlib>
#include <string>

namespace de = domain_events;

int main(int argc, char** argv) {
    std::string path = "healthcore_demo.db";
    int patients = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if ((flag == "--db" || flag == "--patients") && i + 1 < argc) {
            const std::string value = argv[++i];
            if (flag == "--db") path = value;
            else if ((patients = std::atoi(value.c_str())) < 1) {
                std::fprintf(stderr, "healthcore_demo: --patients '%s' must be a number >= 1\n", value.c_str());
                return 2;
            }
        } else {
            std::fprintf(stderr, "healthcore_demo: unknown or incomplete flag '%s'\n", flag.c_str());
            return 2;
        }
    }

    try {
        auto settings = de::config_from_environment(de::process_environment());
        settings.database_path = path;
        std::unique_ptr<de::embedded_cluster> embedded;
        if (settings.kafka_enabled && settings.bootstrap_servers.empty()) {
            embedded = std::make_unique<de::embedded_cluster>(1);
            settings.bootstrap_servers = embedded->bootstrap_servers();
            std::printf("no KAFKA_BOOTSTRAP_SERVERS: using the embedded mock cluster at %s\n",
                        settings.bootstrap_servers.c_str());
        }
        de::database db(path);
        db.execute("CREATE TABLE IF NOT EXISTS patient (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                   "version INTEGER NOT NULL)");
        de::model_signals signals;
        de::publisher publisher(db, signals, settings);
        de::relay relay(settings);
        const auto wake = relay.wake_on_commit(publisher);
        relay.start();

        for (int n = 1; n <= patients; ++n) {
            const std::string name = "Patient " + std::to_string(n);
            de::model_change change{.model = "patient", .data = {{"name", name}}};
            const auto saved = de::save_model(db, signals, change, [&](de::model_change& c) {
                db.prepare("INSERT INTO patient (name, version) VALUES (?, 1)").bind_all(name).run();
                c.id = std::to_string(db.last_insert_rowid());
                c.version = 1;
                c.created = true;
            });
            std::printf("saved patient %s -> patient.created recorded in the outbox\n", saved.id.c_str());
        }

        const bool published = !relay.running() || relay.wait_until_published(std::chrono::seconds{60});
        const auto relayed = relay.counters();
        relay.stop();
        std::printf("\nrelay: %llu events published to topics '%s.*'%s\n",
                    static_cast<unsigned long long>(relayed.published), settings.topic_prefix.c_str(),
                    published ? "" : " (not all within 60 s)");
        const auto counts = de::outbox(db).counts(de::now_ms());
        std::printf("\noutbox '%s': %lld pending, %lld published, %lld dead\n", path.c_str(),
                    static_cast<long long>(counts.pending), static_cast<long long>(counts.published),
                    static_cast<long long>(counts.dead));
        std::printf("not built yet: the example consumers (issue 6) and the full clinic domain with\n"
                    "appointments (issue 5).\n");
    } catch (const de::error& e) {
        std::fprintf(stderr, "healthcore_demo: %s\n", e.what());
        return 1;
    }
    return 0;
}
