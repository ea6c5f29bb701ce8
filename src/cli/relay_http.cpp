#include "cli/relay_http.hpp"

#include <charconv>
#include <limits>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/dead_letter_json.hpp"
#include "domain_events/kafka/broker_probe.hpp"
#include "domain_events/storage/database.hpp"
#include "domain_events/ops/metrics_text.hpp"
#include "domain_events/storage/outbox.hpp"

namespace domain_events::cli {
namespace {

double seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

// A whole number in [low, high] from a query parameter or path segment; empty when it is not one.
std::optional<std::int64_t> parse_count(std::string_view text, std::int64_t low, std::int64_t high) {
    std::int64_t value = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (err != std::errc{} || end != text.data() + text.size() || value < low || value > high) return std::nullopt;
    return value;
}

// Each request opens its own read connection: requests run on several server threads and a
// `database` belongs to one thread. Opening a WAL file is cheap next to an HTTP round trip.
std::int64_t dead_letter_count(const std::string& path) {
    database db(database_options{.path = path, .read_only = true});
    return outbox(db).counts(now_ms()).dead;
}

// State shared by the routes; lives as long as the server's handlers (owned through them).
struct relay_endpoint {
    relay_endpoint(relay& r, const config& settings)
        : publisher_relay(r), database_path(settings.database_path), probe(settings) {}

    relay& publisher_relay;
    std::string database_path;
    broker_probe probe;
};

}  // namespace

std::string relay_metrics(const relay_counters& c, std::int64_t dead_letters) {
    metrics_text page;
    const auto d = [](auto v) { return static_cast<double>(v); };
    page.counter("domain_events_relay_published_total", "Events acknowledged by Kafka and marked published", d(c.published));
    page.counter("domain_events_relay_failed_attempts_total", "Failed deliveries, counted per event", d(c.failed_attempts));
    page.counter("domain_events_relay_dead_lettered_total", "Events moved to the outbox's dead letters", d(c.dead_lettered));
    page.counter("domain_events_relay_rewinds_total", "Restarts from the oldest unacknowledged event", d(c.rewinds));
    page.counter("domain_events_relay_producer_recreations_total", "Producers replaced after a fatal error",
                 d(c.producer_recreations));
    page.gauge("domain_events_relay_pending_events", "Events in the outbox not yet published", d(c.pending));
    page.gauge("domain_events_relay_oldest_pending_age_seconds", "Age of the oldest pending event (0 when none)",
               c.oldest_pending_age ? seconds(*c.oldest_pending_age) : 0.0);
    page.gauge("domain_events_relay_lease_held", "1 when this relay holds the outbox lease", c.lease_held ? 1.0 : 0.0);
    page.gauge("domain_events_relay_consecutive_failures",
               "Steps of the relay's loop failed in a row (a full disk, a read-only file); 0 when the last succeeded",
               d(c.consecutive_failures));
    page.gauge("domain_events_outbox_dead_letters", "Dead letters in the outbox, waiting for replay or discard",
               d(dead_letters));
    page.histogram_seconds("domain_events_relay_commit_to_ack_seconds",
                           "From an event's commit to Kafka's acknowledgement", c.commit_to_ack);
    return page.text();
}

std::unique_ptr<health_server> start_relay_http(relay& publisher_relay, const config& settings, listen_address address,
                                                std::string admin_token) {
    auto endpoint = std::make_shared<relay_endpoint>(publisher_relay, settings);
    health_checks checks{
        .ready =
            [endpoint] {
                const auto c = endpoint->publisher_relay.counters();
                if (c.consecutive_failures > 0) {
                    return readiness{false, "the relay's last " + std::to_string(c.consecutive_failures) +
                                                " step(s) failed, retrying: " + c.last_error};
                }
                if (!c.lease_held) return readiness{false, "this relay does not hold the outbox lease"};
                const auto broker = endpoint->probe.check();
                if (!broker.reachable) return readiness{false, "Kafka is unreachable: " + broker.error};
                return readiness{true, {}};
            },
        .detailed =
            [endpoint] {
                const auto c = endpoint->publisher_relay.counters();
                const auto broker = endpoint->probe.check();
                return nlohmann::json{
                    {"status", c.lease_held && broker.reachable ? "ready" : "not ready"},
                    {"owner_id", endpoint->publisher_relay.owner_id()},
                    {"lease_held", c.lease_held},
                    {"backlog", c.pending},
                    {"oldest_pending_age_seconds",
                     c.oldest_pending_age ? nlohmann::json(seconds(*c.oldest_pending_age)) : nlohmann::json(nullptr)},
                    {"dead_letters", dead_letter_count(endpoint->database_path)},
                    {"broker", {{"reachable", broker.reachable}, {"brokers", broker.brokers}, {"error", broker.error}}},
                    {"last_error", c.last_error},
                    {"consecutive_failures", c.consecutive_failures},
                    {"published", c.published},
                    {"failed_attempts", c.failed_attempts},
                    {"commit_to_ack_p99_ms", static_cast<double>(c.commit_to_ack.quantile(0.99).count()) / 1000.0},
                };
            },
        .metrics =
            [endpoint] {
                return relay_metrics(endpoint->publisher_relay.counters(), dead_letter_count(endpoint->database_path));
            },
    };
    auto server = std::make_unique<health_server>(std::move(address), std::move(checks), std::move(admin_token),
                                                   spdlog::default_logger(), settings.http);
    server->get("/dead-letters", [endpoint](const http_request& request) {
        const auto limit = parse_count(request.param("limit", "100"), 1, 10'000);
        const auto after = parse_count(request.param("after", "0"), 0, std::numeric_limits<std::int64_t>::max());
        if (!limit || !after) {
            return json_response(400, {{"error", "limit must be 1..10000 and after an id >= 0, e.g. ?limit=100&after=42"}});
        }
        database db(database_options{.path = endpoint->database_path, .read_only = true});
        outbox box(db);
        return json_response(200, dead_letter_page(box, static_cast<std::size_t>(*limit), *after));
    });
    server->post_admin(R"(/dead-letters/(\d+)/replay)", [endpoint](const http_request& request) {
        // The path's digits are not repeated (up to 2 KiB of them): only an id that parsed.
        const auto parsed = parse_count(request.captures.at(0), 1, std::numeric_limits<std::int64_t>::max());
        if (!parsed) return json_response(404, {{"error", "no such dead letter: ids are 1 to 9223372036854775807"}});
        const auto id = *parsed;
        database db(endpoint->database_path);
        outbox box(db);
        const auto letter = box.find_dead_letter(id);
        if (!letter) return json_response(404, {{"error", "no dead letter with id " + std::to_string(id)}});
        const auto position = box.replay_dead_letter(id, now_ms());
        endpoint->publisher_relay.wake();
        return json_response(200, {{"id", id}, {"event_id", letter->event_id}, {"position", position}});
    });
    server->start();
    return server;
}

}  // namespace domain_events::cli
