// The HTTP server under load, on loopback. Two figures, each against a baseline measured in the
// same process:
// 1. the example API's creates per second over keep-alive connections (target >= 5,000), against
//    GET /health on the same connections (the server and client alone, no SQLite write) and
//    against creates on a new connection per request;
// 2. /health/live latency on a health_server while 1,000 slow-loris clients (a header byte each
//    per round) and 2,000 idle ones hold connections (target p99 < 100 ms), against the same
//    probes on an unloaded server.
//
//   bench_http [--seconds 5] [--clients 4] [--bootstrap host:port]
#include <domain_events/ops/health_server.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "api_server.hpp"
#include "bench_support.hpp"
#include "raw_http.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

struct load_result {
    double per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    long failures = 0;
};

std::string create_request(long n) {
    const auto body = R"({"name": "Patient )" + std::to_string(n) + R"(", "email": "p)" + std::to_string(n) +
                      R"(@example.org", "date_of_birth": "1980-01-01", "national_id": "N)" + std::to_string(n) + R"("})";
    return "POST /api/v1/patients/ HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// `clients` threads send `make(n)` for `seconds`, each on one keep-alive connection (or a new
// connection per request), and time every answer.
template <class Make>
load_result load(int port, int clients, double seconds, bool keep_alive, int expected_status, Make make) {
    std::atomic<long> counter{0};
    std::atomic<long> failures{0};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
    const auto start = steady::now();
    const auto deadline = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            auto& mine = latencies[static_cast<std::size_t>(t)];
            std::optional<dt::raw_connection> c;
            while (steady::now() < deadline) {
                if (!c || !keep_alive) c.emplace(port);
                const auto sent_at = steady::now();
                const auto response = c->send(make(counter++)) ? c->read_response(10s) : std::nullopt;
                if (!response || dt::status_of(*response) != expected_status) {
                    ++failures;
                    c.reset();
                    continue;
                }
                mine.push_back(std::chrono::duration<double, std::milli>(steady::now() - sent_at).count());
            }
        });
    }
    for (auto& t : threads) t.join();
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    return {static_cast<double>(all.size()) / bench::seconds_since(start), bench::percentile(all, 0.5),
            bench::percentile(all, 0.99), failures.load()};
}

void print(const char* what, const load_result& r) {
    std::printf("%-44s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  failures %ld\n", what, r.per_second, r.p50_ms, r.p99_ms,
                r.failures);
}

std::vector<double> probe_live(int port, int probes) {
    std::vector<double> ms;
    for (int i = 0; i < probes; ++i) {
        dt::raw_connection c(port);
        const auto sent_at = steady::now();
        if (c.send("GET /health/live HTTP/1.1\r\nHost: bench\r\n\r\n") && c.read_response(10s)) {
            ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - sent_at).count());
        }
    }
    return ms;
}

}  // namespace

int main(int argc, char** argv) {
    const bench::flags f(argc, argv, {{"seconds", "5"}, {"clients", "4"}, {"bootstrap", ""}});
    const auto seconds = static_cast<double>(f.number("seconds"));
    const auto clients = static_cast<int>(f.number("clients"));
    if (!dt::allow_open_files(8192)) {
        std::fprintf(stderr, "bench_http: needs 8192 open files (ulimit -Hn)\n");
        return 2;
    }
    bench::scratch_dir dir("bench_http");
    bench::target_cluster cluster(f.text("bootstrap"));
    spdlog::set_level(spdlog::level::warn);

    {
        de::config c;
        c.topic_prefix = "healthcore";
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = "bench_http";
        c.database_path = dir.file("api.db");
        healthcore::api::server api(c);
        const int port = api.start("127.0.0.1", 0);
        const auto health = load(port, clients, seconds, true, 200, [](long) {
            return std::string("GET /health HTTP/1.1\r\nHost: bench\r\n\r\n");
        });
        const auto creates = load(port, clients, seconds, true, 201, create_request);
        const auto fresh = load(port, clients, seconds, false, 201, create_request);
        std::printf("example API, %d clients, %.0f s each, %s:\n", clients, seconds, cluster.kind());
        print("  GET /health, keep-alive (baseline)", health);
        print("  POST /api/v1/patients/, keep-alive", creates);
        print("  POST /api/v1/patients/, new connection each", fresh);
        std::printf("keep_alive_creates_per_second %.0f (target >= 5000: %s)\n", creates.per_second,
                    creates.per_second >= 5000 ? "met" : "NOT met");
        std::printf("ratio creates/health %.3f, keep-alive/new-connection %.2f\n", creates.per_second / health.per_second,
                    creates.per_second / fresh.per_second);
    }

    de::health_server server({}, {.ready = [] { return de::readiness{true, {}}; },
                                  .detailed = [] { return nlohmann::json::object(); },
                                  .metrics = [] { return std::string(); }});
    server.start();
    const int probes = 500;
    const auto quiet = probe_live(server.port(), probes);
    std::vector<dt::raw_connection> idle;
    std::vector<dt::raw_connection> slow;
    for (int i = 0; i < 2000; ++i) idle.emplace_back(server.port());
    for (int i = 0; i < 1000; ++i) {
        slow.emplace_back(server.port());
        (void)slow.back().send("GET /health/live HTTP/1.1\r\nHost: bench\r\nX-Slow: ");
    }
    std::vector<double> loaded;
    for (int round = 0; round < probes / 50; ++round) {
        for (auto& c : slow) (void)c.send("y");
        const auto some = probe_live(server.port(), 50);
        loaded.insert(loaded.end(), some.begin(), some.end());
    }
    const auto open = server.counters().open_connections;
    std::printf("/health/live, %d probes each, new connection per probe:\n", probes);
    std::printf("  unloaded (baseline)                          p50 %7.3f ms  p99 %7.3f ms  answered %zu\n",
                bench::percentile(quiet, 0.5), bench::percentile(quiet, 0.99), quiet.size());
    std::printf("  1,000 slow + 2,000 idle (%llu open)        p50 %7.3f ms  p99 %7.3f ms  answered %zu\n",
                static_cast<unsigned long long>(open), bench::percentile(loaded, 0.5), bench::percentile(loaded, 0.99),
                loaded.size());
    const auto p99 = bench::percentile(loaded, 0.99);
    std::printf("live_p99_ms_under_slow_clients %.3f (target < 100: %s), ratio to unloaded p99 %.2f\n", p99,
                p99 < 100 && loaded.size() == static_cast<std::size_t>(probes) ? "met" : "NOT met",
                p99 / bench::percentile(quiet, 0.99));
    return 0;
}
