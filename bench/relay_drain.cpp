// Relay drain: how fast the relay empties a backlog, against a raw librdkafka producer sending
// the same messages (same keys, values, headers, producer settings) in the same process. The
// ratio relay/raw is the figure; the backlog is written before the clock starts.
//
//   build/bench/bench_relay_drain [--events N] [--bootstrap-servers S] [--partitions P] [--linger-ms L]
//   (no --bootstrap-servers: librdkafka's mock cluster in-process)
#include <domain_events/domain_events.hpp>
#include <spdlog/spdlog.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>

#include "kafka/kafka_conf.hpp"
#include "relay/relay_producer.hpp"
#include "bench_support.hpp"

namespace de = domain_events;

namespace {

void fill(const std::string& path, long events) {
    de::database db(path);
    de::outbox::install(db);
    de::outbox box(db);
    const nlohmann::json data = {{"name", "John Doe"}, {"email", "john@example.com"}, {"phone", "+1 555 0100"}};
    for (long written = 0; written < events;) {
        db.atomic([&] {
            for (int i = 0; i < 10'000 && written < events; ++i, ++written) {
                const auto aggregate = std::to_string(written % 10'000);
                box.append(de::make_event(written % 2 ? "patient.updated" : "patient.created", "patient", aggregate,
                                          written / 10'000 + 1, data));
            }
        });
    }
}

// The baseline: every outbox row, read into memory first, sent by a plain producer.
double raw_rate(const de::config& c, const de::relay_options& options, const std::string& path, long events) {
    de::database db(path);
    std::vector<de::outbox_record> rows;
    for (std::int64_t after = 0;;) {
        auto batch = de::outbox(db).next_batch(10'000, after);
        if (batch.empty()) break;
        after = batch.back().position;
        std::move(batch.begin(), batch.end(), std::back_inserter(rows));
    }
    // A raw producer names its few topics once, not per message.
    std::map<std::string, std::string, std::less<>> topics;
    for (const auto& row : rows) {
        if (!topics.contains(row.event_type)) {
            topics.emplace(row.event_type, de::topic_for(topic_prefix_of(c), c.routing, row.event_type, row.aggregate_type));
        }
    }
    auto logger = spdlog::default_logger();
    de::detail::relay_producer producer(
        de::detail::relay_producer_properties(c.bootstrap_servers, options.linger, c.validation.max_payload_bytes, {}), *logger);
    const auto start = std::chrono::steady_clock::now();
    long acknowledged = 0;
    std::vector<de::detail::delivery> reports;
    const auto count_acknowledged = [&] {
        producer.take_deliveries(reports);
        for (const auto& d : reports) acknowledged += d.error == RD_KAFKA_RESP_ERR_NO_ERROR;
    };
    for (const auto& row : rows) {
        const auto message = de::message_of(row);
        const auto& topic = topics.find(row.event_type)->second;
        while (producer.produce(message, topic) == RD_KAFKA_RESP_ERR__QUEUE_FULL) producer.poll(std::chrono::milliseconds{1});
        if (producer.in_flight() % 1000 == 0) {
            producer.poll(std::chrono::milliseconds{0});
            count_acknowledged();
        }
    }
    while (producer.in_flight() > 0) producer.poll(std::chrono::milliseconds{10});
    count_acknowledged();
    const double elapsed = bench::seconds_since(start);
    if (acknowledged != events) std::fprintf(stderr, "raw producer: only %ld of %ld acknowledged\n", acknowledged, events);
    return static_cast<double>(events) / elapsed;
}

double relay_rate(const de::config& c, const de::relay_options& options, long events) {
    de::relay relay(c, options);
    const auto start = std::chrono::steady_clock::now();
    relay.start();
    if (!relay.wait_until_published(std::chrono::minutes{10})) std::fprintf(stderr, "relay: not drained in 10 min\n");
    const double elapsed = bench::seconds_since(start);
    const auto counters = relay.counters();
    relay.stop();
    if (static_cast<long>(counters.published) != events) {
        std::fprintf(stderr, "relay: published %llu of %ld\n", static_cast<unsigned long long>(counters.published), events);
    }
    return static_cast<double>(events) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    const bench::flags args(argc, argv, {{"events", "1000000"}, {"bootstrap-servers", ""}, {"partitions", "6"},
                             {"linger-ms", std::to_string(de::relay_options{}.linger.count())}});
    const long events = args.number("events");
    spdlog::set_level(spdlog::level::warn);
    bench::target_cluster cluster(args.text("bootstrap-servers"));
    bench::scratch_dir dir("de_bench_drain");

    de::config c;
    c.topic_prefix = "healthcore";
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topics.partitions = static_cast<int>(args.number("partitions"));
    c.topic_prefix = "bench" + std::to_string(::getpid());
    c.published_retention = std::chrono::hours{24};
    c.database_path = dir.file("relay.db");
    for (const auto* type : {"patient.created", "patient.updated"}) {
        cluster.create_topic(de::topic_for_event_type(topic_prefix_of(c), type), c.topics.partitions);
    }
    const auto raw_path = dir.file("raw.db");
    fill(c.database_path, events);
    fill(raw_path, events);

    // Topics are created by the relay's first run on a real broker; run it first so the raw
    // producer does not pay for topic creation either.
    de::relay_options options;
    options.linger = std::chrono::milliseconds{args.number("linger-ms")};
    const double relay = relay_rate(c, options, events);
    const double raw = raw_rate(c, options, raw_path, events);
    std::printf("relay_drain: %ld events into the %s, %d partitions per topic, linger.ms=%ld\n", events,
                cluster.kind(), c.topics.partitions, args.number("linger-ms"));
    std::printf("  raw librdkafka producer  : %10.0f events/s\n", raw);
    std::printf("  relay (outbox -> Kafka)  : %10.0f events/s\n", relay);
    std::printf("  ratio relay/raw          : %10.2f (target >= 0.60)\n", relay / raw);
    return 0;
}
