// Commit-to-acknowledged latency at a steady rate: an application thread commits one event
// per tick through the publisher; the relay, woken by the commit, publishes it; the time from
// the commit's return to the moment the acknowledgement is recorded is measured per event.
//
//   build/bench/bench_commit_to_ack [--rate PER_SECOND] [--seconds S] [--bootstrap-servers S] [--linger-ms L]
#include <domain_events/domain_events.hpp>
#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>
#include <unordered_map>

#include "bench_support.hpp"

namespace de = domain_events;
using steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
    const bench::flags args(argc, argv, {{"rate", "1000"}, {"seconds", "10"}, {"bootstrap-servers", ""}, {"linger-ms", std::to_string(de::relay_options{}.linger.count())}});
    const long rate = std::max(1L, args.number("rate"));
    const long total = rate * args.number("seconds");
    spdlog::set_level(spdlog::level::warn);
    bench::target_cluster cluster(args.text("bootstrap-servers"));
    bench::scratch_dir dir("de_bench_latency");

    de::config c;
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topic_prefix = "latency" + std::to_string(::getpid());
    c.database_path = dir.file("outbox.db");
    cluster.create_topic(de::topic_for_event_type(c.topic_prefix, "patient.updated"), c.topics.partitions);

    std::mutex mutex;
    std::unordered_map<std::int64_t, steady::time_point> committed, acknowledged;
    de::relay_options options;
    options.linger = std::chrono::milliseconds{args.number("linger-ms")};
    options.on_published = [&](std::span<const std::int64_t> positions) {
        const auto now = steady::now();
        std::lock_guard lock(mutex);
        for (const auto p : positions) acknowledged.emplace(p, now);
    };
    de::database db(c.database_path);
    de::model_signals signals;
    de::publisher publisher(db, signals, c);
    de::relay relay(c, options);
    const auto wake = relay.wake_on_commit(publisher);
    relay.start();
    // Warm-up: the topic exists and the producer is connected before measuring.
    db.atomic([&] { publisher.publish(db, "patient.updated", "patient", "warm-up", 1, {{"n", 0}}); });
    relay.wait_until_published(std::chrono::seconds{30});

    const auto tick = std::chrono::nanoseconds{1'000'000'000 / rate};
    const auto start = steady::now();
    for (long i = 0; i < total; ++i) {
        std::this_thread::sleep_until(start + i * tick);
        std::int64_t position = 0;
        db.atomic([&] {
            publisher.publish(db, "patient.updated", "patient", std::to_string(i % 100), i + 2, {{"n", i}});
            position = db.last_insert_rowid();
        });
        const auto now = steady::now();
        std::lock_guard lock(mutex);
        committed.emplace(position, now);
    }
    relay.wait_until_published(std::chrono::seconds{60});
    relay.stop();

    std::vector<double> latencies_ms;
    for (const auto& [position, at] : committed) {
        const auto ack = acknowledged.find(position);
        // An acknowledgement can be recorded before the committing thread took its clock
        // reading; such an event counts as zero latency.
        if (ack != acknowledged.end()) {
            latencies_ms.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(ack->second - at).count()));
        }
    }
    std::printf("commit_to_ack: %ld events at %ld/s into the %s, linger.ms=%ld (%zu acknowledged)\n", total, rate,
                cluster.kind(), args.number("linger-ms"), latencies_ms.size());
    std::printf("  p50 %.3f ms (target < 2)   p99 %.3f ms (target < 10)   max %.3f ms\n",
                bench::percentile(latencies_ms, 0.5), bench::percentile(latencies_ms, 0.99),
                bench::percentile(latencies_ms, 1.0));
    return latencies_ms.size() == static_cast<std::size_t>(total) ? 0 : 1;
}
