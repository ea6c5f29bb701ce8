// Integrator task: run the relay in-process.
//
// The relay is a background thread that publishes the outbox to Kafka, marking each event
// published only once Kafka acknowledged it. wake_on_commit wakes it at every commit instead of
// polling. With no KAFKA_BOOTSTRAP_SERVERS this publishes to librdkafka's embedded mock cluster.
//
//   relay_in_process [DB]        (default: relay_in_process.db)
#include <domain_events/domain_events.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace de = domain_events;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "relay_in_process.db";
    try {
        auto settings = de::config_from_environment(de::process_environment());
        settings.database_path = path;  // the relay reads the outbox of this file
        settings.topic_prefix = settings.topic_prefix.value_or("healthcore");  // unless KAFKA_TOPIC_PREFIX says
        if (!settings.kafka_enabled) {
            std::printf("KAFKA_ENABLED=false: events would stay in the outbox; nothing to show\n");
            return 0;
        }
        const auto embedded = de::embedded_cluster_unless_configured(settings);
        if (embedded) {
            std::printf("no KAFKA_BOOTSTRAP_SERVERS: using an embedded mock cluster at %s\n",
                        settings.bootstrap_servers.c_str());
        }

        de::database db(path);
        de::model_signals signals;
        de::publisher events(db, signals, settings);
        de::relay relay(settings);
        const auto wake = relay.wake_on_commit(events);  // declared after the relay: must not outlive it
        relay.start();

        db.atomic([&] {
            for (int n = 1; n <= 10; ++n)
                events.publish(db, "reminder.sent", "reminder", std::to_string(n), 1, {{"reminder_id", n}});
        });

        // Tests and scripts wait for acknowledgements instead of sleeping and guessing.
        if (!relay.wait_until_published(std::chrono::seconds{30})) {
            std::fprintf(stderr, "relay_in_process: not everything was published within 30 s: %s\n",
                         relay.counters().last_error.c_str());
            return 1;
        }
        const auto counters = relay.counters();
        std::printf("published %llu events to %s.reminder.sent; %lld pending\n",
                    static_cast<unsigned long long>(counters.published), settings.topic_prefix->c_str(),
                    static_cast<long long>(counters.pending));
        relay.stop();  // flushes in-flight messages; the destructor would do it too
    } catch (const de::error& e) {
        std::fprintf(stderr, "relay_in_process: %s\n", e.what());
        return 1;
    }
    return 0;
}
