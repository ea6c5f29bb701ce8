// The README's example, built and run by the hermetic tier: save a patient (its
// patient.created commits with the row), relay the outbox to Kafka, and apply the event once in
// a consumer. With no KAFKA_BOOTSTRAP_SERVERS it runs on librdkafka's embedded mock cluster.
//
//   example_quickstart [DIR]    (default: the current directory; writes clinic.db, welcome.db)
#include <domain_events/domain_events.hpp>
#include <healthcore/clinic.hpp>
#include <healthcore/patient.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

namespace de = domain_events;
using namespace std::chrono;

int main(int argc, char** argv) try {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    auto settings = de::config_from_environment(de::process_environment());
    settings.database_path = (dir / "clinic.db").string();
    const auto embedded = de::embedded_cluster_unless_configured(settings);  // no broker configured: mock

    // --- the README's 20 lines start here
    healthcore::configure(settings);  // prefix healthcore unless KAFKA_TOPIC_PREFIX; no national_id in events
    de::database db(settings.database_path);
    healthcore::install_schema(db);
    de::model_signals signals;
    de::publisher events(db, signals, settings);  // post_save -> outbox, in the write's transaction
    healthcore::patient_repository patients(db, signals);
    patients.create({.name = "Ada Lovelace", .email = "ada@example.com", .phone = "",
                     .date_of_birth = 1815y / December / 10, .national_id = "NI-1815"});

    de::relay relay(settings);  // publishes the outbox to <prefix>.patient.created
    relay.start();

    de::consumer consumer(settings, {.group_id = "welcome", .event_types = {"patient.created"},
                                     .database_path = (dir / "welcome.db").string(),
                                     .schema = de::consumer_schema::script(1, "CREATE TABLE welcomed (name TEXT)")});
    consumer.on("patient.created", [](const de::event& e, de::database& effects) {  // once per event_id
        effects.prepare("INSERT INTO welcomed VALUES (?)")->bind_all(e.data.at("name").get<std::string>()).run();
    });
    consumer.start();                                // on a thread of its own, as the relay
    consumer.wait_until_caught_up(std::chrono::seconds{30});  // the patient above is applied
    consumer.stop(std::chrono::seconds{10});
    // --- end of the README's lines
    de::database welcome((dir / "welcome.db").string());
    auto names = welcome.prepare("SELECT name FROM welcomed");
    while (names->step()) std::cout << "welcome, " << names->column_text(0) << '\n';
    return 0;
} catch (const de::error& e) {
    std::cerr << "quickstart: " << e.what() << '\n';
    return 1;
}
