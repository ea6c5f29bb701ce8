// A new consumer in 30 lines (docs/consuming.md): appointment reminders kept in their own SQLite
// file, each event applied exactly once, stopped gracefully by SIGTERM/SIGINT.
// `--http 127.0.0.1:9465` adds health checks and Prometheus metrics (docs/operations.md).
#include <domain_events/domain_events.hpp>
#include <iostream>
#include <optional>
#include <string_view>
namespace de = domain_events;

int main(int argc, char** argv) {
    de::shutdown_signals signals;  // first: SIGTERM/SIGINT blocked for every thread started later
    de::consumer_options options;
    options.group_id = "reminders";
    options.event_types = {"appointment.booked", "appointment.cancelled"};
    options.database_path = "reminders.db";
    options.schema = de::consumer_schema::script(1, "CREATE TABLE reminder (appointment_id TEXT PRIMARY KEY, due TEXT)");
    auto settings = de::config_from_environment(de::process_environment());
    settings.topic_prefix = settings.topic_prefix.value_or("healthcore");  // the clinic's topics
    de::consumer consumer(settings, options);

    consumer.on("appointment.booked", [](const de::event& e, de::database& db) {
        db.prepare("INSERT OR REPLACE INTO reminder VALUES (?, ?)")
            ->bind_all(e.aggregate_id, e.data.value("starts_at", "")).run();
    });
    consumer.on("appointment.cancelled", [](const de::event& e, de::database& db) {
        db.prepare("DELETE FROM reminder WHERE appointment_id = ?")->bind_all(e.aggregate_id).run();
    });
    std::optional<de::consumer_http_endpoint> endpoint;  // after the consumer: it watches it
    if (argc == 3 && std::string_view(argv[1]) == "--http") endpoint.emplace(consumer, argv[2]);
    else if (argc != 1) return std::cerr << "usage: reminder_consumer [--http HOST:PORT]\n", 2;
    const auto stop_on_signal = signals.on_signal([&] { consumer.stop(); });
    const auto done = consumer.run();  // until SIGTERM: finishes the event, commits, leaves the group
    std::cout << "applied " << done.applied << ", duplicates " << done.duplicates << '\n';
}
