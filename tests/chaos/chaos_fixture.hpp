#pragma once
// The chaos suite's fixture (tests/chaos/*_test.cpp): sizes and randomness from the environment,
// a scratch outbox, the real broker of the kafka tier, and the helpers every scenario shares.
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


namespace domain_events::testing::chaos_suite {

namespace de = domain_events;
namespace dt = domain_events::testing;
using namespace std::chrono_literals;

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

/** " w1 w2 ...": the watermark of each fault, for a scenario's notes. */
inline std::string watermarks(const std::vector<dt::fault>& faults) {
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

}  // namespace domain_events::testing::chaos_suite
