#include "writing.hpp"

#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>
#include <domain_events/storage/outbox.hpp>

#include <array>
#include <random>
#include <thread>

namespace domain_events::chaos {

void install_writer_schema(const std::string& db_path) {
    database db(db_path);
    outbox::install(db);
    db.execute("CREATE TABLE IF NOT EXISTS chaos_rows (writer TEXT NOT NULL, n INTEGER NOT NULL, "
               "PRIMARY KEY (writer, n))");
}

std::size_t write_pairs(const std::string& db_path, const std::string& name, std::size_t cap,
                        const std::atomic<bool>& stop, std::uint32_t seed, std::chrono::milliseconds pause) {
    constexpr std::size_t aggregates = 10;
    database db(db_path);
    outbox box(db);
    std::mt19937 random(seed);
    std::uniform_int_distribution<std::size_t> transaction_size(1, 20);
    std::array<std::int64_t, aggregates> versions{};
    std::size_t written = 0;
    while (written < cap && !stop.load()) {
        const auto size = std::min(transaction_size(random), cap - written);
        db.atomic([&] {
            for (std::size_t i = 0; i < size; ++i) {
                const auto n = written + i;
                db.prepare("INSERT INTO chaos_rows (writer, n) VALUES (?, ?)")
                    ->bind_all(name, static_cast<std::int64_t>(n))
                    .run();
                const auto k = n % aggregates;
                const auto version = versions[k] + 1;
                box.append(make_event(version == 1 ? "patient.created" : "patient.updated", "patient",
                                      name + "-" + std::to_string(k), version, {{"writer", name}, {"n", n}}));
            }
        });
        // Counted only once committed: a throw above rolled back rows and events together.
        for (std::size_t i = 0; i < size; ++i) ++versions[(written + i) % aggregates];
        written += size;
        std::this_thread::sleep_for(pause);
    }
    return written;
}

}  // namespace domain_events::chaos
