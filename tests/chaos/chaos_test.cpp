// The fault-injection suite against the real broker (DESIGN.md guarantees 1-5): relays, brokers
// and consumers killed mid-stream, a full disk, concurrent writers. Every scenario reads its
// topics back (tests/support/delivery_verifier) and reports committed, delivered, lost,
// duplicates (each explained by a fault), reorders and effects applied twice, as a
// `CHAOS-RESULT` line that scripts/chaos.sh tabulates.
//
// Sizes come from CHAOS_EVENTS, CHAOS_KILLS, CHAOS_BROKER_RESTARTS, CHAOS_WRITER_EVENTS and the
// randomness from CHAOS_SEED (printed): CTest runs the defaults (label `chaos`), scripts/chaos.sh
// the full sizes. The scenarios that kill brokers start Kafka instances of their own
// (`<CHAOS_KAFKA_NAME>-broker-<pid>`, `...-cluster-<pid>`), never the shared broker.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/kafka/topic_admin.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <healthcore/clinic.hpp>
#include <healthcore/patient.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "chaos_support.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"
#include "outbox_fill.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"
#include "writing.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

/** " w1 w2 ...": the watermark of each fault, for a scenario's notes. */
std::string watermarks(const std::vector<dt::fault>& faults) {
    std::string text;
    for (const auto& f : faults) text += " " + std::to_string(f.marked);
    return text;
}

class chaos : public dt::kafka_tier {
protected:
    void SetUp() override {
        dt::kafka_tier::SetUp();
        std::cout << "[ chaos    ] events=" << params.events << " kills=" << params.kills
                  << " broker_restarts=" << params.broker_restarts << " writer_events=" << params.writer_events
                  << " seed=" << params.seed << " (CHAOS_EVENTS, CHAOS_KILLS, CHAOS_BROKER_RESTARTS, "
                  << "CHAOS_WRITER_EVENTS, CHAOS_SEED)" << std::endl;
    }

    /** Settings for a scenario's topics (a unique prefix) on `bootstrap`, replicated `replicas` times
     *  (-1: the broker's default). */
    de::config settings(const std::string& stem, const std::string& bootstrap, int replicas = -1) const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = bootstrap;
        c.topics.replication_factor = replicas;
        c.topic_prefix = dt::unique_topic(stem);
        c.database_path = db_path;
        return c;
    }

    std::vector<std::string> topics(const de::config& c) const {
        return {de::topic_for_event_type(topic_prefix_of(c), "patient.created"),
                de::topic_for_event_type(topic_prefix_of(c), "patient.updated")};
    }

    /** `count` sorted points drawn uniformly from [low, high]. */
    std::vector<std::int64_t> random_points(std::size_t count, std::int64_t low, std::int64_t high) {
        std::uniform_int_distribution<std::int64_t> draw(low, high);
        std::vector<std::int64_t> points(count);
        for (auto& p : points) p = draw(random);
        std::ranges::sort(points);
        return points;
    }


    /** Reads everything back and summarizes it against the outbox. */
    dt::chaos_result read_back(const std::string& scenario, const de::config& c, const std::vector<dt::fault>& faults) {
        const auto committed = dt::committed_events(db_path, c);
        const auto delivered = dt::read_all(c.bootstrap_servers, dt::topics_of(committed), 180s);
        return dt::summarize(scenario, committed, delivered, faults);
    }

    /**
     * Starts relay processes one after another and SIGKILLs each once the published watermark
     * reached its point (or at once, when it holds the lease and the watermark already passed
     * it); before the next one starts, waits for the dead one's lease to expire and records the
     * watermark and every partition's end offset.
     */
    std::vector<dt::fault> kill_relays_at(dt::relay_processes& relays, const de::config& c,
                                          const std::vector<std::int64_t>& points) {
        de::database observer(db_path);
        de::outbox box(observer);
        std::vector<dt::fault> faults;
        for (std::size_t k = 0; k < points.size(); ++k) {
            const auto owner = "killed-" + std::to_string(k + 1);
            auto relay = relays.start(owner);
            // Polled as often as the watermark below: a relay drains thousands of events in the
            // 20 ms of a default poll, and the kill would land past its point (or after the drain).
            EXPECT_TRUE(dt::eventually([&] { return relays.lease_owner() == owner; }, 30s, 1ms))
                << "relay " << owner << " never took the lease\n" << relay->output();
            dt::eventually([&] { return box.published_through() >= points[k]; }, 120s, 1ms);
            relay->signal(SIGKILL);
            EXPECT_EQ(relay->wait(10s), 128 + SIGKILL) << relay->output();
            dt::fault f{.what = "relay SIGKILL " + std::to_string(k + 1),
                        .marked = box.published_through(),
                        .end_offsets = {}};
            EXPECT_GE(f.marked, points[k]) << "relay " << owner << " did not reach its kill point in time\n"
                                           << relay->output();
            relays.wait_lease_expired();
            f.end_offsets = dt::end_offsets(c.bootstrap_servers, topics(c), 30s);
            std::cout << "[ chaos    ] " << f.what << " at watermark " << f.marked << " (point " << points[k] << ")"
                      << std::endl;
            faults.push_back(std::move(f));
        }
        return faults;
    }

    /** A last relay publishes everything up to the outbox's last position, then stops on SIGTERM. */
    void finish_with_a_relay(dt::relay_processes& relays, std::chrono::seconds limit) {
        de::database observer(db_path);
        de::outbox box(observer);
        auto last = relays.start("finisher");
        // Holding the lease, it has its SIGTERM handler in place (else SIGTERM would just kill it).
        EXPECT_TRUE(dt::eventually([&] { return relays.lease_owner() == "finisher"; }, 30s)) << last->output();
        const auto total = box.last_position();
        EXPECT_TRUE(dt::eventually([&] { return box.published_through() >= total; }, limit))
            << "published " << box.published_through() << " of " << total << "\n" << last->output();
        last->signal(SIGTERM);
        EXPECT_EQ(last->wait(30s), 0) << last->output();
    }

    /** `count` events (default `params.events`) over params.events/100 aggregates (at least 10),
     *  patient.created then updates; a later fill continues each aggregate's versions. */
    void fill_the_outbox(std::optional<std::size_t> count = std::nullopt) {
        dt::fill_outbox(db_path, {.events = count.value_or(params.events),
                                  .aggregates = std::max<std::size_t>(params.events / 100, 10)});
    }

    /** A Kafka instance of this test's own, `<CHAOS_KAFKA_NAME>-<what>-<pid>`, stopped when it dies. */
    std::unique_ptr<dt::kafka_instance> own_kafka(const std::string& what, int nodes) const {
        auto kafka = std::make_unique<dt::kafka_instance>(
            DOMAIN_EVENTS_KAFKA_SCRIPT, params.instance_prefix + "-" + what + "-" + std::to_string(::getpid()), nodes,
            dir.file(what + "-kafka.log"));
        std::cout << "[ chaos    ] own Kafka " << kafka->name() << " at " << kafka->bootstrap() << std::endl;
        return kafka;
    }

    /** Times the scenario, reports its figures (CHAOS-RESULT, $CHAOS_REPORT) and checks them. */
    void conclude(dt::chaos_result& r, std::optional<std::size_t> committed = std::nullopt) const {
        r.seconds = seconds_since(started);
        dt::report(r, params);
        EXPECT_TRUE(dt::clean(r)) << dt::describe(r);
        if (committed) {
            EXPECT_EQ(r.committed, *committed);
        }
    }

    dt::relay_processes relay_processes_for(const de::config& c) {
        return dt::relay_processes(DOMAIN_EVENTS_CLI,
                                   {{"KAFKA_BOOTSTRAP_SERVERS", c.bootstrap_servers},
                                    {"KAFKA_TOPIC_PREFIX", topic_prefix_of(c)},
                                    // Acknowledged in small steps, so the watermark a kill waits for
                                    // cannot leap past it (librdkafka's default: 10,000 per batch).
                                    {"KAFKA_PROPERTY_BATCH_NUM_MESSAGES", "200"},
                                    {"LOG_LEVEL", "info"}},
                                   db_path, dir.path().string());
    }

    clock_type::time_point started = clock_type::now();
    dt::chaos_parameters params = dt::chaos_parameters::from_environment();
    std::mt19937 random{params.seed};
    dt::temp_dir dir;
    std::string db_path = dir.file("outbox.db");
};

// Guarantees 2, 3, 5: a relay process SIGKILLed at random points of a drain, restarted each time
// (the next one takes the lease once the dead one's expires); every kill lands mid-drain.
TEST_F(chaos, relay_sigkilled_at_random_points_during_a_drain_loses_and_reorders_nothing) {
    const auto total = static_cast<std::int64_t>(params.events);
    const auto c = settings("chaos-relay", bootstrap_);
    fill_the_outbox();
    auto relays = relay_processes_for(c);

    const auto faults = kill_relays_at(relays, c, random_points(params.kills, 1, total * 3 / 4));
    for (const auto& f : faults) {
        EXPECT_LT(f.marked, total) << f.what << " came after the drain finished: it tested nothing";
    }
    finish_with_a_relay(relays, 300s);

    auto r = read_back("relay_sigkill", c, faults);
    r.notes = std::to_string(params.kills) + " relay SIGKILLs at watermarks" + watermarks(faults);
    conclude(r, params.events);
}

// Guarantee 2 across a broker outage: the broker of this test's own instance (never the shared
// one) SIGKILLed mid-drain and started again on its data; the relay keeps running through it.
TEST_F(chaos, broker_killed_and_restarted_during_a_drain_loses_and_reorders_nothing) {
    const auto total = static_cast<std::int64_t>(params.events);
    const auto own = own_kafka("broker", 1);
    const auto& broker = *own;
    const auto c = settings("chaos-broker", broker.bootstrap(), 1);
    fill_the_outbox();

    de::database observer(db_path);
    de::outbox box(observer);
    // A smaller window than the default 100,000: after a restart the acknowledgements of a whole
    // window arrive at once and the watermark could leap past the next kill point to the end.
    de::relay_options options;
    options.max_in_flight = 5'000;
    de::relay relay(c, options);
    relay.start();
    std::uniform_int_distribution<int> outage_ms(500, 3000);
    std::vector<dt::fault> faults;
    std::int64_t marked_in_outages = 0;
    const auto restarts = static_cast<std::int64_t>(params.broker_restarts);
    for (std::int64_t k = 1; k <= restarts; ++k) {
        const auto point = total * k / (restarts + 2);
        ASSERT_TRUE(dt::eventually([&] { return box.published_through() >= point; }, 120s, 1ms))
            << "the relay did not reach " << point << ": " << relay.counters().last_error;
        // The watermark just before the kill: what is above it may be in flight, so may be re-sent.
        const auto marked = box.published_through();
        broker.kill_node(1);
        const auto down_at = box.published_through();
        EXPECT_LT(down_at, total) << "the broker died after the drain finished: it tested nothing";
        const auto outage = std::chrono::milliseconds(outage_ms(random));
        std::cout << "[ chaos    ] broker SIGKILL " << k << " at watermark " << marked << " (" << down_at
                  << " once gone), down for " << outage.count() << " ms + restart" << std::endl;
        std::this_thread::sleep_for(outage);  // the outage itself: the fault's duration, drawn from the seed
        // The watermark may still rise while the broker is down, by acknowledgements that arrived
        // before the kill and are recorded after it; that each marked event really is in Kafka is
        // what the read-back below checks (lost 0), the broker having kept its log across the kill.
        marked_in_outages += box.published_through() - down_at;
        broker.restart_node(1);
        faults.push_back({.what = "broker restart " + std::to_string(k), .marked = marked, .end_offsets = {}});
    }
    ASSERT_TRUE(relay.wait_until_published(300s)) << relay.counters().last_error;
    const auto counters = relay.counters();
    relay.stop(10s);

    auto r = read_back("broker_restart", c, faults);
    r.notes = std::to_string(restarts) + " broker SIGKILL+restart at watermarks" + watermarks(faults) +
              "; marked while down (acknowledged before) " + std::to_string(marked_in_outages) + "; relay rewinds " +
              std::to_string(counters.rewinds) + ", producer recreations " + std::to_string(counters.producer_recreations);
    conclude(r, params.events);
}

// Guarantees 2, 3 with replication: a three-node cluster of the test's own (replication factor 3,
// min.insync.replicas=2, the relay's acks=all); the broker leading partition 0 of a topic being
// drained is SIGKILLed mid-drain. Half the events are committed only after the kill, so the relay
// must carry on through the follower that leads next; nothing acknowledged is lost, nothing reordered.
TEST_F(chaos, partition_leader_killed_in_a_three_node_cluster_loses_and_reorders_nothing) {
    const auto total = static_cast<std::int64_t>(params.events);
    const auto own = own_kafka("cluster", 3);
    const auto& cluster = *own;
    const auto c = settings("chaos-leader", cluster.bootstrap(), 3);
    // The topics exist before the drain, so their leader is known before the relay races through.
    {
        de::topic_admin admin(c, 30s);
        for (const auto& type : {"patient.created", "patient.updated"}) {
            const auto report = admin.ensure(de::topic_spec_for(c, type, "patient"));
            ASSERT_EQ(report, de::topic_outcome::created) << report;
        }
    }
    const auto topic = de::topic_for_event_type(topic_prefix_of(c), "patient.created");
    const auto leader = dt::partition_leader(cluster.bootstrap(), topic, 0, 30s);
    for (const int replicas : dt::replica_counts(cluster.bootstrap(), topic)) EXPECT_EQ(replicas, 3);
    const auto before_kill = params.events / 2;
    fill_the_outbox(before_kill);

    de::database observer(db_path);
    de::outbox box(observer);
    // A small window, as in the broker restart: the kill lands among unacknowledged events.
    de::relay_options options;
    options.max_in_flight = 5'000;
    de::relay relay(c, options);
    relay.start();
    const auto point = random_points(1, 1, total / 4).front();
    ASSERT_TRUE(dt::eventually([&] { return box.published_through() >= point; }, 120s, 1ms))
        << "the relay did not reach " << point << ": " << relay.counters().last_error;
    // The watermark just before the kill: what is above it may be in flight, so may be re-sent.
    const auto marked = box.published_through();
    cluster.kill_node(leader);
    const auto down_at = box.published_through();
    std::cout << "[ chaos    ] leader of " << topic << "[0], node " << leader << ", SIGKILLed at watermark " << marked
              << " (" << down_at << " once gone; point " << point << ")" << std::endl;
    // What is committed from now on reaches partition 0 only through a new leader.
    fill_the_outbox(params.events - before_kill);
    const std::vector<dt::fault> faults{{.what = "leader SIGKILL", .marked = marked, .end_offsets = {}}};
    ASSERT_TRUE(relay.wait_until_published(300s)) << relay.counters().last_error;
    const auto counters = relay.counters();
    relay.stop(10s);
    // The controller fences a SIGKILLed node only after the broker session timeout, and the
    // metadata a live node serves may trail the election by a moment.
    std::int32_t new_leader = leader;
    dt::eventually([&] { return (new_leader = dt::partition_leader(cluster.bootstrap(), topic, 0, 30s)) != leader; },
                   60s, 100ms);
    EXPECT_NE(new_leader, leader) << "the dead node still leads " << topic << "[0]";

    auto r = read_back("leader_kill", c, faults);
    r.notes = "3 nodes, RF 3, min.insync.replicas 2, acks=all; leader node " + std::to_string(leader) +
              " SIGKILLed at watermark " + std::to_string(marked) + ", new leader " + std::to_string(new_leader) +
              "; relay rewinds " + std::to_string(counters.rewinds);
    conclude(r, params.events);
}

// Guarantee 4: consumer processes SIGKILLed at random points while applying what the relay
// publishes, each restarted (static membership, so the new one takes the partitions at once).
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
