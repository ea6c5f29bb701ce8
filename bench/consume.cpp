// Consume: how fast an idempotent consumer applies a backlog (handler writing one row, plus its
// dedupe record; events applied in batches, one SQLite transaction per batch), against a bare librdkafka consumer reading the same topic in the same process.
// The topic is filled before either clock starts; each clock starts at the first message, so
// joining the group is not counted.
//
//   build/bench/bench_consume [--events N] [--bootstrap-servers S] [--partitions P]
//                             [--max-batch-events B]
//   (no --bootstrap-servers: librdkafka's mock cluster in-process; it keeps only the newest
//   ~5 MiB of each partition, about 15,000 of these events, so keep N under 15,000 x P there.
//   On a real broker the topic is created through the Admin API: auto-creation may be off.)
#include <domain_events/domain_events.hpp>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <optional>

#include "kafka/kafka_conf.hpp"
#include "bench_support.hpp"

namespace de = domain_events;
using clock_type = std::chrono::steady_clock;

namespace {

void fill(const std::string& bootstrap, const std::string& topic, long events) {
    auto producer = de::detail::make_kafka_client(
        RD_KAFKA_PRODUCER,
        de::detail::make_kafka_conf({{"bootstrap.servers", bootstrap}, {"linger.ms", "20"}, {"batch.num.messages", "10000"}},
                                    "bench fill"),
        "bench fill");
    const nlohmann::json data = {{"name", "John Doe"}, {"email", "john@example.com"}};
    for (long i = 0; i < events; ++i) {
        const auto aggregate = std::to_string(i % 10'000);
        const auto value = de::serialize(de::make_event("patient.created", "patient", aggregate, i / 10'000 + 1, data));
        while (rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                                 RD_KAFKA_V_KEY(aggregate.data(), aggregate.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(producer.get(), 10);
        }
        rd_kafka_poll(producer.get(), 0);
    }
    if (rd_kafka_flush(producer.get(), 300'000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("bench: the topic could not be filled within 300 s");
    }
}

struct bare_result {
    long read = 0;
    double rate = 0;
};

// The baseline: a group member that only reads (no parsing, no database, no offsets stored).
// Ends at `events` or 3 s without a message: the mock cluster keeps only the newest segments of
// a partition, so on it a large backlog is partly gone; the idempotent run then reads as many.
bare_result bare_rate(const std::string& bootstrap, const std::string& topic, long events) {
    auto consumer = de::detail::make_kafka_client(
        RD_KAFKA_CONSUMER,
        de::detail::make_kafka_conf({{"bootstrap.servers", bootstrap},
                                     {"group.id", "bench-bare"},
                                     {"auto.offset.reset", "earliest"},
                                     {"enable.auto.commit", "false"}},
                                    "bench bare"),
        "bench bare");
    rd_kafka_poll_set_consumer(consumer.get());
    de::detail::kafka_partition_list topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer.get(), topics.get());
    std::optional<clock_type::time_point> first;
    auto last = clock_type::now();
    long read = 0;
    const auto deadline = clock_type::now() + std::chrono::minutes(10);
    while (read < events && clock_type::now() < deadline && (!first || clock_type::now() - last < std::chrono::seconds(3))) {
        de::detail::kafka_message m(rd_kafka_consumer_poll(consumer.get(), 100));
        if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
        last = clock_type::now();
        if (!first) first = last;
        ++read;
    }
    rd_kafka_consumer_close(consumer.get());
    if (read < 2 || !first) throw std::runtime_error("bench: the bare consumer read " + std::to_string(read));
    return {read, static_cast<double>(read - 1) / std::chrono::duration<double>(last - *first).count()};
}

double idempotent_rate(const de::config& c, const std::string& db_path, long events, std::size_t max_batch_events) {
    de::database setup(db_path);
    setup.execute("CREATE TABLE IF NOT EXISTS patient_seen (event_id TEXT PRIMARY KEY, aggregate_id TEXT)");
    de::consumer_options o;
    o.group_id = "bench-idempotent";
    o.event_types = {"patient.created"};
    o.database_path = db_path;
    o.max_events = static_cast<std::uint64_t>(events);
    o.idle_exit = std::chrono::minutes(2);
    o.max_batch_events = max_batch_events;
    // The clock starts at the first handler call (the first message read and parsed), as the
    // bare consumer's starts at its first message; it stops when run() returned, after the last
    // batch committed.
    std::optional<clock_type::time_point> first;
    de::consumer consumer(c, o);
    consumer.on("patient.created", [&first](const de::event& e, de::database& db) {
        if (!first) first = clock_type::now();
        db.prepare("INSERT INTO patient_seen (event_id, aggregate_id) VALUES (?, ?)")->bind_all(e.event_id, e.aggregate_id).run();
    });
    const auto counters = consumer.run();
    if (counters.applied != static_cast<std::uint64_t>(events) || !first) {
        throw std::runtime_error("bench: the idempotent consumer applied " + std::to_string(counters.applied));
    }
    std::printf("  handler p50 %lld us, p99 %lld us\n",
                static_cast<long long>(counters.handler_latency.quantile(0.5).count()),
                static_cast<long long>(counters.handler_latency.quantile(0.99).count()));
    return static_cast<double>(events - 1) / bench::seconds_since(*first);
}

}  // namespace

int main(int argc, char** argv) {
    const bench::flags args(argc, argv, {{"events", "1000000"}, {"bootstrap-servers", ""}, {"partitions", "3"},
                                             {"max-batch-events", std::to_string(de::consumer_options{}.max_batch_events)}});
    const long events = args.number("events");
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped
    spdlog::set_level(spdlog::level::warn);
    bench::target_cluster cluster(args.text("bootstrap-servers"));
    bench::scratch_dir dir("bench_consume");
    de::config c;
    c.topic_prefix = "healthcore";
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topic_prefix = "bench" + std::to_string(::getpid());
    const auto topic = de::topic_for_event_type(topic_prefix_of(c), "patient.created");
    cluster.ensure_topic(topic, static_cast<int>(args.number("partitions")));
    const auto max_batch_events = static_cast<std::size_t>(std::max(1L, args.number("max-batch-events")));
    std::printf("consume: %ld events from the %s, %ld partitions, batches of at most %zu events\n", events,
                cluster.kind(), args.number("partitions"), max_batch_events);
    fill(c.bootstrap_servers, topic, events);
    const auto [available, bare] = bare_rate(c.bootstrap_servers, topic, events);
    std::printf("  bare librdkafka consumer: %.0f events/s (%ld events retained and read)\n", bare, available);
    if (available < events) {
        std::printf("  NOTE: only %ld of %ld events were still in the topic (the mock drops old segments)\n", available,
                    events);
    }
    const double idempotent = idempotent_rate(c, dir.file("consumer.db"), available, max_batch_events);
    std::printf("  idempotent consumer:      %.0f events/s (%.2fx of bare; target >= 100000 events/s: %s)\n", idempotent,
                idempotent / bare, idempotent >= 100'000 ? "met" : "NOT met");
    return 0;
}
