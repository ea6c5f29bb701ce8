#pragma once
// What the fault-injection (chaos) scenarios share (tests/chaos, and the cluster failover test of
// the kafka tier): their size parameters, the faults they inject and how each duplicate Kafka
// holds is explained by one of them, the report line scripts/chaos.sh collects, a broker
// instance of their own, and relay processes killed and restarted.
//
//   chaos_parameters p = chaos_parameters::from_environment();   // CHAOS_EVENTS, CHAOS_KILLS, ...
//   ... inject faults, recording each as a `fault` ...
//   const auto committed = committed_events(db, settings);
//   const auto delivered = read_all(bootstrap, topics_of(committed), 180s);
//   chaos_result r = summarize("relay_sigkill", committed, delivered, faults);
//   report(r);   // prints `CHAOS-RESULT ...`, appends to $CHAOS_REPORT
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "delivery_verifier.hpp"

namespace domain_events::testing {

/** Sizes, kill counts and the seed of a run; CTest uses the defaults, scripts/chaos.sh sets them. */
struct chaos_parameters {
    std::size_t events = 20'000;          ///< CHAOS_EVENTS: events of a drain
    std::size_t kills = 4;                ///< CHAOS_KILLS: relay or consumer SIGKILLs per scenario
    std::size_t broker_restarts = 1;      ///< CHAOS_BROKER_RESTARTS: broker kill + restart cycles
    std::size_t writer_events = 2'500;    ///< CHAOS_WRITER_EVENTS: cap per concurrent writer
    std::uint32_t seed = 20'261'123;      ///< CHAOS_SEED
    /// CHAOS_KAFKA_NAME: the prefix of the scenarios' own Kafka instances (`<prefix>-broker-<pid>`)
    std::string instance_prefix = "chaos";

    /** The defaults, overridden by the CHAOS_* variables; throws std::invalid_argument for a bad value. */
    static chaos_parameters from_environment();
};

/** (topic, partition). */
using topic_partition = std::pair<std::string, std::int32_t>;

/** One injected fault: what it was, and what the outbox and Kafka held when it struck. */
struct fault {
    std::string what;                  ///< e.g. `relay SIGKILL 3`
    std::int64_t marked = 0;           ///< the outbox's published watermark right after the fault
    /// each partition's end offset once the faulty writer can no longer append (empty: unknown)
    std::map<topic_partition, std::int64_t> end_offsets;
};

/** A scenario's figures, as docs/reliability.md shows them. */
struct chaos_result {
    std::string scenario;
    std::size_t committed = 0;
    std::size_t delivered = 0;
    std::size_t lost = 0;
    std::size_t duplicates = 0;
    std::size_t unexplained_duplicates = 0;  ///< copies no fault accounts for (must be 0)
    std::size_t reorders = 0;
    std::size_t unexpected = 0;
    std::size_t effects_twice = 0;           ///< consumer effects applied more than once (must be 0)
    std::size_t effects_missed = 0;          ///< committed events a consumer never applied (must be 0)
    std::size_t faults = 0;
    double seconds = 0;
    std::string notes;
    std::vector<std::string> problems;       ///< from the verifier and the duplicate check
};

/**
 * Every partition's end offset (high watermark) of `topics`; throws std::runtime_error when the
 * brokers do not answer within `timeout`.
 */
std::map<topic_partition, std::int64_t> end_offsets(const std::string& bootstrap, const std::vector<std::string>& topics,
                                                    std::chrono::milliseconds timeout);

/** The broker id leading `topic`[`partition`]; throws std::runtime_error when there is none within `timeout`. */
std::int32_t partition_leader(const std::string& bootstrap, const std::string& topic, std::int32_t partition,
                              std::chrono::milliseconds timeout);

/**
 * Verifies `delivered` against `committed` (lost, reorders, unexpected) and checks that every
 * duplicate is explained by a fault: between two copies of an event there is a fault at which
 * the event was not yet marked published (its position is above the fault's watermark) and, when
 * the fault knows the end offsets, the first copy lies before that end and the second at or after it.
 */
chaos_result summarize(std::string scenario, const std::vector<committed_event>& committed,
                       const std::vector<delivered_message>& delivered, const std::vector<fault>& faults);

/** One line `CHAOS-RESULT scenario=... lost=0 ...` on stdout, and a tab-separated row appended to $CHAOS_REPORT. */
void report(const chaos_result& r, const chaos_parameters& p);

/** `r` has nothing lost, reordered, unexpected, unexplained or applied twice. */
[[nodiscard]] bool clean(const chaos_result& r) noexcept;
/** Every figure and problem of `r`, for an assertion message. */
[[nodiscard]] std::string describe(const chaos_result& r);

/**
 * A Kafka instance of a scenario's own (scripts/kafka.sh start --name NAME), stopped and its data
 * deleted when the object dies: the scenarios that stop brokers never touch the shared ones.
 */
class kafka_instance {
public:
    /** Starts `nodes` (1 or 3) nodes with topic auto-creation off; throws std::runtime_error on failure. */
    kafka_instance(std::string script, std::string name, int nodes, std::string log_path);
    ~kafka_instance();
    kafka_instance(const kafka_instance&) = delete;
    kafka_instance& operator=(const kafka_instance&) = delete;

    [[nodiscard]] const std::string& bootstrap() const noexcept { return bootstrap_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /**
     * SIGKILLs node `i` (1-based) at once (its pid file, no script in between, so the kill lands
     * where the caller chose), then waits through `kafka.sh kill-node` until it is gone.
     */
    void kill_node(int i) const;
    /** Starts node `i` again on its kept data and waits until every node answers. */
    void restart_node(int i) const;

private:
    void run(const std::vector<std::string>& args, std::chrono::seconds timeout) const;
    /** `$DOMAIN_EVENTS_KAFKA_STATE/<name>` (default `<repo>/.cache/kafka/run/<name>`), as kafka.sh keeps it. */
    [[nodiscard]] std::string state_dir() const;
    std::string script_, name_, log_path_, bootstrap_;
};

/** Starts `domain-events relay` processes on one outbox, with a 1 s lease period. */
class relay_processes {
public:
    relay_processes(std::string cli, std::map<std::string, std::string> env, std::string db_path, std::string log_dir);

    std::unique_ptr<child_process> start(const std::string& owner);
    /** The lease holder's owner id, nothing when the lease is free or expired. */
    [[nodiscard]] std::optional<std::string> lease_owner() const;
    /** Waits (at most two lease periods) until the lease row has expired, so the next relay takes it at once. */
    void wait_lease_expired() const;
    /** The relay log of run `n` (1-based). */
    [[nodiscard]] std::string log_of(int n) const;

    static constexpr std::chrono::milliseconds lease_period{1000};

private:
    std::string cli_;
    std::map<std::string, std::string> env_;
    std::string db_path_, log_dir_;
    int runs_ = 0;
};

}  // namespace domain_events::testing
