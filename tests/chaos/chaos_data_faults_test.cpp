// The chaos suite (see chaos_process_faults_test.cpp): consumers SIGKILLed mid-batch, a full
// disk under the domain write, concurrent writers during relay restarts.
#include "chaos_fixture.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using namespace std::chrono_literals;
using dt::chaos_suite::chaos;
using dt::chaos_suite::clock_type;
using dt::chaos_suite::seconds_since;
using dt::chaos_suite::watermarks;

namespace {
TEST_F(chaos, consumer_sigkilled_at_random_points_applies_every_event_exactly_once) {
    const auto total = static_cast<std::int64_t>(params.events);
    const auto c = settings("chaos-consumer", bootstrap_);
    fill_the_outbox();
    de::relay relay(c);
    relay.start();
    // The consumers subscribe once both topics exist (the relay creates them with its first batch).
    ASSERT_TRUE(dt::eventually([&] { return relay.counters().published >= 2; }, 60s)) << relay.counters().last_error;

    const auto consumer_db = dir.file("consumer.db");
    const std::map<std::string, std::string> env{{"KAFKA_BOOTSTRAP_SERVERS", bootstrap_},
                                                 {"KAFKA_TOPIC_PREFIX", topic_prefix_of(c)},
                                                 {"KAFKA_TOPIC_REPLICATION_FACTOR", "1"},
                                                 {"KAFKA_PROPERTY_SESSION_TIMEOUT_MS", "6000"},
                                                 {"KAFKA_PROPERTY_HEARTBEAT_INTERVAL_MS", "500"},
                                                 // Named after the run: a static member of an earlier run's
                                                 // group would be handed that run's old assignment.
                                                 {"KAFKA_PROPERTY_GROUP_INSTANCE_ID", topic_prefix_of(c)},
                                                 {"CONSUMER_GROUP", topic_prefix_of(c)},
                                                 {"CONSUMER_DB", consumer_db},
                                                 {"CONSUMER_EVENTS", "patient.created,patient.updated"},
                                                 // Paced so that a kill lands where it was aimed: unpaced, the
                                                 // consumer applied the last 3,600 events between two polls.
                                                 {"CONSUMER_HANDLER_DELAY_US", "100"}};
    int runs = 0;
    const auto start_consumer = [&] {
        return std::make_unique<dt::child_process>(std::vector<std::string>{DOMAIN_EVENTS_TEST_CONSUMER}, env,
                                                   dir.file("consumer-" + std::to_string(++runs) + ".log"));
    };
    const auto applied = [&] {  // effect rows so far (one per application, so a double shows)
        if (!std::filesystem::exists(consumer_db)) return std::int64_t{0};
        de::database db(de::database_options{.path = consumer_db, .read_only = true});
        try {
            return dt::scalar(db, "SELECT coalesce(max(rowid), 0) FROM effects");
        } catch (const de::storage_error&) {
            return std::int64_t{0};  // the table does not exist yet
        }
    };

    std::vector<std::int64_t> kills_at;
    for (const auto point : random_points(params.kills, 1, total * 9 / 10)) {
        auto consumer = start_consumer();
        const bool reached = dt::eventually([&] { return applied() >= point; }, 120s, 5ms);
        consumer->signal(SIGKILL);
        EXPECT_EQ(consumer->wait(10s), 128 + SIGKILL) << consumer->output();
        ASSERT_TRUE(reached) << "the consumer did not reach " << point << " effects\n" << consumer->output();
        kills_at.push_back(applied());
        std::cout << "[ chaos    ] consumer SIGKILL " << kills_at.size() << " after " << kills_at.back()
                  << " effects (point " << point << ")" << std::endl;
        EXPECT_LT(kills_at.back(), total) << "the consumer was killed after applying everything: it tested nothing";
    }
    ASSERT_TRUE(relay.wait_until_published(300s)) << relay.counters().last_error;
    relay.stop(10s);

    auto last = start_consumer();
    const auto distinct = [&] {
        de::database db(de::database_options{.path = consumer_db, .read_only = true});
        return dt::scalar(db, "SELECT count(DISTINCT event_id) FROM effects");
    };
    EXPECT_TRUE(dt::eventually([&] { return distinct() >= total; }, 300s))
        << "applied " << distinct() << " of " << total << "\n" << last->output();
    last->signal(SIGTERM);
    EXPECT_EQ(last->wait(30s), 0) << last->output();

    auto r = read_back("consumer_sigkill", c, {});
    de::database effects(de::database_options{.path = consumer_db, .read_only = true});
    r.effects_twice = static_cast<std::size_t>(dt::scalar(
        effects, "SELECT count(*) FROM (SELECT event_id FROM effects GROUP BY event_id HAVING count(*) > 1)"));
    std::set<std::string> applied_ids;
    auto ids = effects.prepare("SELECT DISTINCT event_id FROM effects");
    while (ids->step()) applied_ids.insert(ids->column_text(0));
    for (const auto& e : dt::committed_events(db_path, c)) {
        if (!e.dead && !applied_ids.contains(e.event_id)) ++r.effects_missed;
    }
    r.faults = kills_at.size();
    r.notes = std::to_string(kills_at.size()) + " consumer SIGKILLs after effects";
    for (const auto n : kills_at) r.notes += " " + std::to_string(n);
    const auto last_output = last->output();
    if (const auto at = last_output.rfind("applied="); at != std::string::npos) {
        r.notes += "; last run: " + last_output.substr(at, last_output.find('\n', at) - at);
    }
    conclude(r);
    EXPECT_EQ(applied_ids.size(), params.events);
}

// Guarantee 1 when the disk fills: the writer's connection may not grow the file past a few
// pages more than it has (PRAGMA max_page_count, SQLite's portable size limit). Creates and updates
// through the clinic's repository fail with storage_error SQLITE_FULL naming the file, and every
// patient row still has exactly its events, every event its row; what committed is published.
TEST_F(chaos, a_full_disk_refuses_the_domain_write_and_leaves_nothing_half_written) {
    auto c = settings("chaos-disk", bootstrap_);
    healthcore::configure(c);
    de::database db(db_path);
    de::model_signals signals;
    de::publisher publisher(db, signals, c);
    healthcore::install_schema(db);
    healthcore::patient_repository patients(db, signals);
    de::relay relay(c);
    relay.start();

    const auto count = [&](std::string_view sql) { return dt::scalar(db, sql); };
    // A patient at version v must have the events of versions 1..v, and nothing else.
    const auto rows_without_all_their_events = [&] {
        return count("SELECT count(*) FROM patient p WHERE p.version != (SELECT count(*) FROM domain_events_outbox o "
                     "WHERE o.aggregate_type = 'patient' AND o.aggregate_id = CAST(p.id AS TEXT) "
                     "AND o.aggregate_version <= p.version)");
    };
    const auto events_without_their_row = [&] {
        return count("SELECT count(*) FROM domain_events_outbox o WHERE o.aggregate_type = 'patient' AND NOT EXISTS "
                     "(SELECT 1 FROM patient p WHERE CAST(p.id AS TEXT) = o.aggregate_id "
                     "AND p.version >= o.aggregate_version)");
    };
    const auto snapshot = [&] {
        return std::pair(count("SELECT count(*) + coalesce(sum(version), 0) FROM patient"),
                         count("SELECT count(*) FROM domain_events_outbox"));
    };

    std::vector<std::int64_t> ids;
    std::size_t refused = 0, written = 0;
    // The k-th write: a new patient, or every third one an update of an earlier patient.
    const auto write = [&](std::size_t k) {
        const auto n = std::to_string(k);
        if (!ids.empty() && k % 3 == 2) {
            patients.update(ids[k % ids.size()], {.email = "p" + n + "@example.org"});
        } else {
            ids.push_back(patients
                              .create({.name = "Patient " + n,
                                       .email = "p" + n + "@example.org",
                                       .phone = "",
                                       .date_of_birth = healthcore::parse_date("date_of_birth", "1980-01-01"),
                                       .national_id = "NID-" + n})
                              .id);
        }
    };
    std::size_t attempts = 0;
    constexpr int rounds = 3;
    for (int round = 1; round <= rounds; ++round) {
        db.execute("PRAGMA max_page_count = " + std::to_string(count("PRAGMA page_count") + 4 * round));
        std::optional<de::storage_error> failure;
        for (int i = 0; i < 100'000 && !failure; ++i) {
            try {
                write(attempts++);
                ++written;
            } catch (const de::storage_error& e) {
                failure = e;
                ++refused;
            }
        }
        ASSERT_TRUE(failure.has_value()) << "round " << round << ": 100,000 writes and the disk never filled";
        EXPECT_EQ(failure->sqlite_code() & 0xff, SQLITE_FULL) << failure->what();
        EXPECT_NE(std::string(failure->what()).find("full"), std::string::npos) << failure->what();
        EXPECT_NE(std::string(failure->what()).find(db_path), std::string::npos) << failure->what();
        std::cout << "[ chaos    ] round " << round << ": " << written << " writes committed, then: " << failure->what()
                  << std::endl;
        // While full, a write either fails whole and changes nothing, or fits in the free space of
        // the pages there are and commits whole, its event with it: never one without the other.
        std::size_t refused_now = 1;
        for (int i = 0; i < 20; ++i) {
            const auto before = snapshot();
            try {
                write(attempts++);
                ++written;
                EXPECT_EQ(snapshot().second, before.second + 1) << "a write committed without exactly one event";
            } catch (const de::storage_error& e) {
                EXPECT_EQ(e.sqlite_code() & 0xff, SQLITE_FULL) << e.what();
                EXPECT_EQ(snapshot(), before) << "a refused write left something behind: " << e.what();
                ++refused_now;
            }
            EXPECT_EQ(rows_without_all_their_events(), 0);
            EXPECT_EQ(events_without_their_row(), 0);
        }
        std::cout << "[ chaos    ] round " << round << ": " << refused_now << " of 21 writes refused while full"
                  << std::endl;
        refused += refused_now - 1;
    }
    db.execute("PRAGMA max_page_count = 1073741823");  // room again: writes work
    patients.update(ids.front(), {.name = "Recovered"});
    ++written;
    EXPECT_EQ(rows_without_all_their_events(), 0);
    EXPECT_EQ(events_without_their_row(), 0);

    ASSERT_TRUE(relay.wait_until_published(120s)) << relay.counters().last_error;
    relay.stop(10s);
    auto r = read_back("disk_full", c, {});
    r.faults = rounds;
    r.notes = std::to_string(written) + " writes committed, " + std::to_string(refused) +
              " refused with SQLITE_FULL in " + std::to_string(rounds) +
              " rounds; rows without events 0, events without rows 0";
    conclude(r);
    EXPECT_EQ(r.committed, static_cast<std::size_t>(count("SELECT count(*) FROM domain_events_outbox")));
}

// Guarantees 1, 2, 3, 5 under load: four writer threads and two writer processes commit rows and
// their events while relay processes are SIGKILLed at random moments and restarted.
TEST_F(chaos, concurrent_writers_during_relay_restarts_lose_and_reorder_nothing) {
    const auto c = settings("chaos-writers", bootstrap_);
    de::chaos::install_writer_schema(db_path);
    auto relays = relay_processes_for(c);

    // Paced so that writing spans the kills (about 2.5 s each: a life, the lease's expiry, the
    // end offsets): transactions of 10.5 events on average, one per `pause` per writer.
    const auto transactions = std::max<std::size_t>(params.writer_events * 2 / 21, 1);
    const auto pause = std::chrono::milliseconds(std::max<std::size_t>(params.kills * 2500 / transactions, 1));
    std::atomic<bool> stop{false};
    std::vector<std::size_t> thread_written(4, 0);
    std::vector<std::string> thread_errors(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            try {
                thread_written[t] = de::chaos::write_pairs(db_path, "thread" + std::to_string(t), params.writer_events,
                                                           stop, params.seed + static_cast<std::uint32_t>(t), pause);
            } catch (const std::exception& e) {
                thread_errors[t] = e.what();
            }
        });
    }
    std::vector<std::unique_ptr<dt::child_process>> writers;
    for (int p = 0; p < 2; ++p) {
        writers.push_back(std::make_unique<dt::child_process>(
            std::vector<std::string>{DOMAIN_EVENTS_CHAOS_WRITER, db_path, "process" + std::to_string(p),
                                     std::to_string(params.writer_events), std::to_string(params.seed + 10 + p),
                                     std::to_string(pause.count())},
            std::map<std::string, std::string>{}, dir.file("writer-" + std::to_string(p) + ".log")));
    }

    // Kill points: random moments, each relay living 100..1000 ms after it took the lease.
    de::database observer(db_path);
    de::outbox box(observer);
    std::uniform_int_distribution<int> life_ms(100, 1000);
    std::vector<dt::fault> faults;
    std::size_t kills_while_writing = 0;
    for (std::size_t k = 1; k <= params.kills; ++k) {
        const auto owner = "killed-" + std::to_string(k);
        auto relay = relays.start(owner);
        EXPECT_TRUE(dt::eventually([&] { return relays.lease_owner() == owner; }, 30s)) << relay->output();
        std::this_thread::sleep_for(std::chrono::milliseconds(life_ms(random)));  // a random moment of its life
        const bool writing = std::ranges::any_of(writers, [](auto& w) { return !w->wait(0ms).has_value(); });
        relay->signal(SIGKILL);
        EXPECT_EQ(relay->wait(10s), 128 + SIGKILL) << relay->output();
        if (writing) ++kills_while_writing;
        dt::fault f{.what = "relay SIGKILL " + std::to_string(k), .marked = box.published_through(), .end_offsets = {}};
        relays.wait_lease_expired();
        f.end_offsets = dt::end_offsets(c.bootstrap_servers, topics(c), 30s);
        std::cout << "[ chaos    ] " << f.what << " at watermark " << f.marked << " of " << box.last_position()
                  << " written so far" << (writing ? " (writers running)" : "") << std::endl;
        faults.push_back(std::move(f));
    }
    stop = true;
    for (auto& w : writers) w->signal(SIGTERM);
    for (auto& t : threads) t.join();
    for (std::size_t p = 0; p < writers.size(); ++p) {
        EXPECT_EQ(writers[p]->wait(60s), 0) << writers[p]->output();
    }
    for (const auto& e : thread_errors) EXPECT_EQ(e, "");
    EXPECT_GE(kills_while_writing, 1u) << "every writer finished before the first kill: raise CHAOS_WRITER_EVENTS";
    const auto total = box.last_position();
    for (const auto& f : faults) EXPECT_LT(f.marked, total) << f.what << " came after everything was published";
    finish_with_a_relay(relays, 300s);

    auto r = read_back("concurrent_writers", c, faults);
    const auto rows = dt::scalar(observer, "SELECT count(*) FROM chaos_rows");
    EXPECT_EQ(rows, dt::scalar(observer, "SELECT count(*) FROM domain_events_outbox")) << "a row without its event";
    r.notes = "4 threads + 2 processes wrote " + std::to_string(rows) + " rows+events; " + std::to_string(params.kills) +
              " relay SIGKILLs (" + std::to_string(kills_while_writing) + " while writing)";
    conclude(r);
}

}  // namespace
