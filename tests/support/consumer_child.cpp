// A consumer process for the process-level tests: applies events into an `effects` table (one
// row per application, so a second effect is visible), stops on SIGTERM/SIGINT, and can kill
// itself between an event's commit and its offset store. Settings come from the environment:
//   KAFKA_* / DOMAIN_EVENTS_*   as config_from_environment reads them
//   CONSUMER_GROUP, CONSUMER_DB, CONSUMER_EVENTS (comma-separated)
//   CONSUMER_IDLE_EXIT_MS       stop after this long without messages (default: never)
//   CONSUMER_CRASH_AFTER        SIGKILL itself right after the N-th committed event
//   CONSUMER_HANDLER_DELAY_US   sleep in each handler, in microseconds (to keep a stream going while a test kills)
//   CONSUMER_MAX_BATCH_EVENTS   consumer_options::max_batch_events (default: the library's)
//   CONSUMER_HTTP               HOST:PORT of a consumer_http_endpoint (logs the port it listens on)
//   CONSUMER_STALL_AFTER_MS     consumer_options::stall_after
//   CONSUMER_DIE_ON_EVENT_ID    abort() inside the handler of this event (a crash in a library)
// On exit prints `applied=A duplicates=D dead_lettered=L skipped=S`.
#include <signal.h>
#include <unistd.h>

#include <domain_events/consume/consumer.hpp>
#include <domain_events/ops/consumer_http.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>
#include <domain_events/ops/shutdown_signals.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

namespace de = domain_events;

namespace {

std::string env(const de::environment& e, const char* name, std::string fallback = {}) {
    const auto found = e.find(name);
    return found != e.end() ? found->second : fallback;
}

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> parts;
    std::stringstream in(list);
    for (std::string part; std::getline(in, part, ',');) {
        if (!part.empty()) parts.push_back(part);
    }
    return parts;
}

}  // namespace

int main() {
    de::shutdown_signals signals;
    try {
        const auto environment = de::process_environment();
        de::consumer_options options;
        options.group_id = env(environment, "CONSUMER_GROUP");
        options.database_path = env(environment, "CONSUMER_DB");
        options.event_types = split(env(environment, "CONSUMER_EVENTS"));
        options.idle_exit = std::chrono::milliseconds{std::stol(env(environment, "CONSUMER_IDLE_EXIT_MS", "0"))};
        options.commit_interval = std::chrono::milliseconds{200};
        if (const auto batch = env(environment, "CONSUMER_MAX_BATCH_EVENTS"); !batch.empty()) {
            options.max_batch_events = std::stoul(batch);
        }
        options.stall_after = std::chrono::milliseconds{std::stol(env(environment, "CONSUMER_STALL_AFTER_MS", "60000"))};
        const auto crash_after = std::stoul(env(environment, "CONSUMER_CRASH_AFTER", "0"));
        const auto delay = std::chrono::microseconds{std::stol(env(environment, "CONSUMER_HANDLER_DELAY_US", "0"))};
        const auto die_on = env(environment, "CONSUMER_DIE_ON_EVENT_ID");
        std::size_t committed = 0;
        if (crash_after > 0) {
            options.after_commit = [&](const de::event&) {
                if (++committed == crash_after) ::kill(::getpid(), SIGKILL);  // committed, offset not stored
            };
        }
        {
            de::database setup(options.database_path);
            setup.execute("CREATE TABLE IF NOT EXISTS effects (event_id TEXT NOT NULL, pid INTEGER NOT NULL)");
        }
        de::consumer consumer(de::config_from_environment(environment), options);
        consumer.otherwise([&](const de::event& e, de::database& db) {
            if (delay.count() > 0) std::this_thread::sleep_for(delay);
            if (!die_on.empty() && e.event_id == die_on) std::abort();
            db.prepare("INSERT INTO effects (event_id, pid) VALUES (?, ?)")->bind_all(e.event_id, ::getpid()).run();
        });
        std::unique_ptr<de::consumer_http_endpoint> endpoint;
        if (const auto http = env(environment, "CONSUMER_HTTP"); !http.empty()) {
            endpoint = std::make_unique<de::consumer_http_endpoint>(consumer, http);
        }
        const auto stop_on_signal = signals.on_signal([&] { consumer.stop(); });
        const auto c = consumer.run();
        std::cout << "applied=" << c.applied << " duplicates=" << c.duplicates << " dead_lettered=" << c.dead_lettered
                  << " skipped=" << c.skipped << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "consumer_child: " << e.what() << std::endl;
        return 1;
    }
}
