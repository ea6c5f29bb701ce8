// `domain-events tail --events patient.created,appointment.booked`: a console consumer that
// prints the envelopes of those event types, one JSON per line (or indented with --pretty).
// It reads under a fresh consumer group and commits nothing, so it never moves a real
// consumer's offsets. Stops after --max events, after --timeout, or on SIGINT/SIGTERM.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.hpp"
#include "domain_events/bounded_json.hpp"
#include "domain_events/error.hpp"
#include "domain_events/publish/topic_routing.hpp"
#include "domain_events/publish/validation.hpp"
#include "kafka/kafka_conf.hpp"
#include "kafka/kafka_log.hpp"
#include "domain_events/ops/shutdown_signals.hpp"
#include "cli/settings_options.hpp"

namespace domain_events::cli {
namespace {

using namespace std::chrono_literals;

struct tail_arguments {
    config settings;
    std::vector<std::string> events;
    bool from_beginning = false;
    std::uint64_t max = 0;
    double timeout_seconds = 0;
    bool pretty = false;
};

// The first word of `resource.action`: the aggregate's topic under per_aggregate routing.
std::string resource_of(const std::string& event_type) { return event_type.substr(0, event_type.find('.')); }

void check_event_types(const tail_arguments& args) {
    for (const auto& type : args.events) {
        try {
            validate_event_type(type);
        } catch (const validation_error& e) {
            throw usage_error("--events: " + std::string(e.what()));
        }
    }
}

std::set<std::string> topics_for(const tail_arguments& args) {
    std::set<std::string> topics;
    for (const auto& type : args.events) {
        topics.insert(topic_for(topic_prefix_of(args.settings), args.settings.routing, type, resource_of(type)));
    }
    return topics;
}

// The event type from the record's `event_type` header (the relay always sets it), else from the envelope.
std::string event_type_of(rd_kafka_message_t* message, const nlohmann::json& envelope) {
    rd_kafka_headers_t* headers = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(headers, "event_type", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR && value != nullptr) {
        return {static_cast<const char*>(value), size};
    }
    return envelope.is_object() && envelope.contains("event_type") && envelope["event_type"].is_string()
               ? envelope["event_type"].get<std::string>()
               : std::string{};
}

// `log` must outlive the consumer: librdkafka's threads log through it.
detail::kafka_handle subscribe(const tail_arguments& args, const std::set<std::string>& topics,
                               detail::kafka_log_target& log) {
    auto properties = args.settings.kafka_properties;
    properties["bootstrap.servers"] = args.settings.bootstrap_servers;
    properties["group.id"] = "domain-events-tail-" + new_event_id();
    properties["enable.auto.commit"] = "false";
    properties["auto.offset.reset"] = args.from_beginning ? "earliest" : "latest";
    auto conf = detail::make_kafka_conf(properties, "tail");
    detail::route_kafka_logs(conf.get(), &log);
    auto consumer = detail::make_kafka_client(RD_KAFKA_CONSUMER, std::move(conf), "tail");
    rd_kafka_poll_set_consumer(consumer.get());
    const detail::kafka_partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& topic : topics) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (const auto err = rd_kafka_subscribe(consumer.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw publish_error("tail: cannot subscribe: " + detail::kafka_error_text(err), err);
    }
    return consumer;
}

int tail(tail_arguments& args) {
    if (args.settings.bootstrap_servers.empty()) {
        throw usage_error("--bootstrap-servers '': tail needs the brokers to read from (or KAFKA_BOOTSTRAP_SERVERS)");
    }
    check_event_types(args);  // before the prefix: a typo is named even where no prefix is known
    resolve_topic_prefix(args.settings);
    const auto topics = topics_for(args);
    const std::set<std::string> wanted(args.events.begin(), args.events.end());
    shutdown_signals signals;  // before the consumer's threads, which inherit the blocked mask
    detail::kafka_log_target log{spdlog::default_logger_raw()};
    auto consumer = subscribe(args, topics, log);
    spdlog::info("tail: reading {} topic(s) from the {}", topics.size(), args.from_beginning ? "beginning" : "end");

    const auto deadline = args.timeout_seconds > 0
                              ? std::chrono::steady_clock::now() + std::chrono::milliseconds{static_cast<long>(args.timeout_seconds * 1000)}
                              : std::chrono::steady_clock::time_point::max();
    std::uint64_t printed = 0;
    // Bounded by --max, --timeout or a stop signal, whichever comes first.
    while ((args.max == 0 || printed < args.max) && std::chrono::steady_clock::now() < deadline &&
           signals.received() == 0) {
        const detail::kafka_message message(rd_kafka_consumer_poll(consumer.get(), 200));
        if (!message) continue;
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            // e.g. a topic that does not exist yet: librdkafka keeps looking, so do we.
            spdlog::warn("tail: {}", rd_kafka_message_errstr(message.get()));
            continue;
        }
        const std::string value(static_cast<const char*>(message->payload), message->len);
        // Any producer's message: bounded before a tree is built (and dumped, recursively).
        const auto envelope = try_parse_bounded_json(value, {value.size(), default_max_json_depth})
                                  .value_or(nlohmann::json(nlohmann::json::value_t::discarded));
        if (!wanted.contains(event_type_of(message.get(), envelope))) continue;
        if (args.pretty && !envelope.is_discarded()) std::cout << envelope.dump(2) << std::endl;
        else std::cout << value << std::endl;  // flushed per line: tail is read through pipes
        ++printed;
    }
    rd_kafka_consumer_close(consumer.get());
    spdlog::info("tail: printed {} event(s)", printed);
    return 0;
}

}  // namespace

command add_tail_command(CLI::App& parent, const environment& env) {
    auto args = std::make_shared<tail_arguments>();
    args->settings = config_from_environment(env);
    auto* sub = parent.add_subcommand("tail", "Print events of the given types as they arrive (a console consumer)");
    sub->add_option("--events", args->events, "event types, comma-separated, e.g. patient.created,appointment.booked")
        ->required()
        ->delimiter(',');
    add_kafka_options(*sub, args->settings);
    add_database_option(*sub, args->settings.database_path);  // where the topic prefix is recorded
    sub->add_flag("--from-beginning", args->from_beginning, "start at the oldest retained event, not at new ones");
    sub->add_option("--max", args->max, "stop after this many events (0: no limit)");
    // At most a year: 1e10 seconds overflowed the deadline into the past, and tail stopped at once.
    sub->add_option("--timeout", args->timeout_seconds, "stop after this many seconds (0: no limit, at most a year)")
        ->check(CLI::Range(0.0, 365.0 * 24 * 3600));
    sub->add_flag("--pretty", args->pretty, "indent each envelope instead of one line per event");
    return {sub, [args] { return tail(*args); }};
}

}  // namespace domain_events::cli
