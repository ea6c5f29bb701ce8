// Commit-to-acknowledged latency at a steady rate: an application thread commits one event
// per tick through the publisher; the relay, woken by the commit, publishes it; the time from
// the commit's return to the moment the acknowledgement is recorded is measured per event.
// The baseline, in the same process and at the same rate: a raw librdkafka producer (the
// relay's settings) sends the same messages, timed from produce() to its delivery report.
//
//   build/bench/bench_commit_to_ack [--rate PER_SECOND] [--seconds S] [--bootstrap-servers S] [--linger-ms L]
#include <domain_events/domain_events.hpp>
#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>
#include <unordered_map>

#include "relay/relay_producer.hpp"
#include "bench_support.hpp"

namespace de = domain_events;
using steady = std::chrono::steady_clock;

namespace {

struct latencies {
    double p50 = 0, p99 = 0, max = 0;
    std::size_t count = 0;
};

latencies summarise(const std::vector<double>& ms) {
    return {bench::percentile(ms, 0.5), bench::percentile(ms, 0.99), bench::percentile(ms, 1.0), ms.size()};
}

// One message per tick through a plain producer; its thread serves the delivery reports while it waits.
latencies raw_latencies(const de::config& c, const de::relay_options& options, long rate, long total) {
    bench::scratch_dir dir("de_bench_latency_raw");
    de::database db(dir.file("raw.db"));
    de::outbox::install(db);
    de::outbox box(db);
    db.atomic([&] {
        for (long i = 0; i < total; ++i) {
            box.append(de::make_event("patient.updated", "patient", std::to_string(i % 100), i + 1, {{"n", i}}));
        }
    });
    const auto rows = box.next_batch(static_cast<std::size_t>(total), 0);
    const auto topic = de::topic_for_event_type(topic_prefix_of(c), "patient.updated");
    de::detail::relay_producer producer(
        de::detail::relay_producer_properties(c.bootstrap_servers, options.linger, c.validation.max_payload_bytes, {}), *spdlog::default_logger());
    std::vector<de::detail::delivery> reports;
    std::unordered_map<std::int64_t, steady::time_point> sent;
    std::vector<double> ms;
    const auto collect = [&] {
        producer.take_deliveries(reports);
        const auto now = steady::now();
        for (const auto& d : reports) {
            if (const auto at = sent.find(d.position); at != sent.end()) {
                ms.push_back(std::chrono::duration<double, std::milli>(now - at->second).count());
            }
        }
    };
    const auto await_all = [&] {  // bounded: a minute of 1 ms polls
        for (int i = 0; i < 60'000 && producer.in_flight() > 0; ++i) {
            producer.poll(std::chrono::milliseconds{1});
            collect();
        }
    };
    // Warm-up (not in `sent`, so not measured): connected and metadata known before the clock starts.
    producer.produce(de::message_of(rows.front()), topic);
    await_all();
    // Like the relay: messages go out on the tick whether or not earlier ones are acknowledged.
    const auto tick = std::chrono::nanoseconds{1'000'000'000 / rate};
    const auto start = steady::now();
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto due = start + static_cast<long>(i) * tick;
        while (steady::now() < due) {
            producer.poll(std::chrono::ceil<std::chrono::milliseconds>(std::max(due - steady::now(), steady::duration::zero())));
            collect();
        }
        sent.emplace(rows[i].position, steady::now());
        producer.produce(de::message_of(rows[i]), topic);
    }
    await_all();
    return summarise(ms);
}

}  // namespace

int main(int argc, char** argv) {
    const bench::flags args(argc, argv, {{"rate", "1000"}, {"seconds", "10"}, {"bootstrap-servers", ""}, {"linger-ms", std::to_string(de::relay_options{}.linger.count())}});
    const long rate = std::max(1L, args.number("rate"));
    const long total = rate * args.number("seconds");
    spdlog::set_level(spdlog::level::warn);
    bench::target_cluster cluster(args.text("bootstrap-servers"));
    bench::scratch_dir dir("de_bench_latency");

    de::config c;
    c.topic_prefix = "healthcore";
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topic_prefix = "latency" + std::to_string(::getpid());
    c.database_path = dir.file("outbox.db");
    cluster.create_topic(de::topic_for_event_type(topic_prefix_of(c), "patient.updated"), c.topics.partitions);

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
    const auto relayed = summarise(latencies_ms);
    const auto raw = raw_latencies(c, options, rate, total);
    std::printf("commit_to_ack: %ld events at %ld/s into the %s, linger.ms=%ld (%zu acknowledged)\n", total, rate,
                cluster.kind(), args.number("linger-ms"), relayed.count);
    std::printf("  raw producer, produce -> ack : p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms\n", raw.p50, raw.p99, raw.max);
    std::printf("  relay, commit -> ack         : p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms   (target p50 < 2, p99 < 10)\n",
                relayed.p50, relayed.p99, relayed.max);
    std::printf("  ratio relay/raw              : p50 %7.2f      p99 %7.2f\n", relayed.p50 / raw.p50, relayed.p99 / raw.p99);
    return relayed.count == static_cast<std::size_t>(total) ? 0 : 1;
}
