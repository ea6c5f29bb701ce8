#include "chaos_support.hpp"

#include <librdkafka/rdkafka.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/detail/handles.hpp>
#include <domain_events/storage/outbox.hpp>
#include <domain_events/relay/relay_lease.hpp>

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "eventually.hpp"

namespace domain_events::testing {
namespace {

using clock = std::chrono::steady_clock;

struct metadata_deleter {
    void operator()(const rd_kafka_metadata_t* m) const noexcept { rd_kafka_metadata_destroy(m); }
};
using metadata_handle = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;

std::size_t env_size(const char* name, std::size_t fallback, std::size_t at_least) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return fallback;
    char* end = nullptr;
    const auto value = std::strtoull(text, &end, 10);
    if (*end != '\0' || value < at_least) {
        throw std::invalid_argument(std::string(name) + "='" + text + "': expected an integer >= " +
                                    std::to_string(at_least));
    }
    return static_cast<std::size_t>(value);
}

detail::kafka_handle admin_handle(const std::string& bootstrap) {
    char reason[512];
    detail::kafka_conf conf(rd_kafka_conf_new());
    for (const auto& [name, value] : {std::pair<const char*, std::string>{"bootstrap.servers", bootstrap},
                                      {"log_level", "3"}}) {
        if (rd_kafka_conf_set(conf.get(), name, value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
            throw std::runtime_error(std::string("chaos: ") + name + ": " + reason);
        }
    }
    detail::kafka_handle handle(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason, sizeof reason));
    if (!handle) throw std::runtime_error(std::string("chaos: rd_kafka_new: ") + reason);
    conf.release();
    return handle;
}

int remaining_ms(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 1, 60'000));
}

/** Metadata of every topic, retried until `deadline`. */
metadata_handle all_metadata(rd_kafka_t* handle, clock::time_point deadline) {
    for (;;) {
        const rd_kafka_metadata_t* raw = nullptr;
        const auto err = rd_kafka_metadata(handle, 1, nullptr, &raw, remaining_ms(deadline));
        metadata_handle metadata(raw);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return metadata;
        if (clock::now() >= deadline) {
            throw std::runtime_error(std::string("chaos: no metadata: ") + rd_kafka_err2str(err));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace

chaos_parameters chaos_parameters::from_environment() {
    chaos_parameters p;
    p.events = env_size("CHAOS_EVENTS", p.events, 1'000);
    p.kills = env_size("CHAOS_KILLS", p.kills, 1);
    p.broker_restarts = env_size("CHAOS_BROKER_RESTARTS", p.broker_restarts, 1);
    p.writer_events = env_size("CHAOS_WRITER_EVENTS", p.writer_events, 100);
    p.seed = static_cast<std::uint32_t>(env_size("CHAOS_SEED", p.seed, 0));
    if (const char* prefix = std::getenv("CHAOS_KAFKA_NAME"); prefix != nullptr && *prefix != '\0') {
        p.instance_prefix = prefix;
    }
    return p;
}

std::map<topic_partition, std::int64_t> end_offsets(const std::string& bootstrap, const std::vector<std::string>& topics,
                                                    std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    const auto handle = admin_handle(bootstrap);
    const auto metadata = all_metadata(handle.get(), deadline);
    std::map<topic_partition, std::int64_t> ends;
    for (int t = 0; t < metadata->topic_cnt; ++t) {
        const auto& topic = metadata->topics[t];
        if (std::ranges::find(topics, std::string(topic.topic)) == topics.end()) continue;
        for (int p = 0; p < topic.partition_cnt; ++p) {
            const auto partition = topic.partitions[p].id;
            for (;;) {
                std::int64_t low = 0, high = 0;
                const auto err = rd_kafka_query_watermark_offsets(handle.get(), topic.topic, partition, &low, &high,
                                                                  remaining_ms(deadline));
                if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    ends[{topic.topic, partition}] = high;
                    break;
                }
                if (clock::now() >= deadline) {
                    throw std::runtime_error(std::string("chaos: end offset of ") + topic.topic + "[" +
                                             std::to_string(partition) + "]: " + rd_kafka_err2str(err));
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    }
    return ends;
}

std::int32_t partition_leader(const std::string& bootstrap, const std::string& topic, std::int32_t partition,
                              std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    const auto handle = admin_handle(bootstrap);
    for (;;) {
        const auto metadata = all_metadata(handle.get(), deadline);
        for (int t = 0; t < metadata->topic_cnt; ++t) {
            const auto& m = metadata->topics[t];
            if (topic != m.topic) continue;
            for (int p = 0; p < m.partition_cnt; ++p) {
                if (m.partitions[p].id == partition && m.partitions[p].leader >= 0) return m.partitions[p].leader;
            }
        }
        if (clock::now() >= deadline) {
            throw std::runtime_error("chaos: no leader for " + topic + "[" + std::to_string(partition) + "]");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

chaos_result summarize(std::string scenario, const std::vector<committed_event>& committed,
                       const std::vector<delivered_message>& delivered, const std::vector<fault>& faults) {
    const auto v = verify(committed, delivered);
    chaos_result r;
    r.scenario = std::move(scenario);
    r.committed = v.committed;
    r.delivered = v.delivered;
    r.lost = v.lost;
    r.duplicates = v.duplicates;
    r.reorders = v.reorders;
    r.unexpected = v.unexpected;
    r.faults = faults.size();
    r.problems = v.problems;

    std::unordered_map<std::string, std::int64_t> position;
    position.reserve(committed.size());
    for (const auto& e : committed) position.emplace(e.event_id, e.position);
    // Every copy of each event, in log order (one partition per key, so offsets compare).
    std::unordered_map<std::string, std::vector<const delivered_message*>> copies;
    for (const auto& m : delivered) {
        if (position.contains(m.event_id)) copies[m.event_id].push_back(&m);
    }
    for (auto& [id, list] : copies) {
        if (list.size() < 2) continue;
        std::ranges::sort(list, {}, [](const delivered_message* m) { return std::tie(m->partition, m->offset); });
        const auto at = position.at(id);
        for (std::size_t i = 1; i < list.size(); ++i) {
            const auto& before = *list[i - 1];
            const auto& after = *list[i];
            const bool explained = std::ranges::any_of(faults, [&](const fault& f) {
                if (at <= f.marked) return false;  // marked before the fault: must never be sent again
                if (f.end_offsets.empty()) return true;
                const auto end = f.end_offsets.find({before.topic, before.partition});
                return before.partition == after.partition && end != f.end_offsets.end() &&
                       before.offset < end->second && after.offset >= end->second;
            });
            if (!explained) {
                ++r.unexplained_duplicates;
                if (r.problems.size() < verification::max_problems) {
                    r.problems.push_back("unexplained duplicate: position " + std::to_string(at) + " (" + id +
                                         ") at " + before.topic + "[" + std::to_string(before.partition) + "]@" +
                                         std::to_string(before.offset) + " and @" + std::to_string(after.offset));
                }
            }
        }
    }
    return r;
}

bool clean(const chaos_result& r) noexcept {
    return r.lost == 0 && r.reorders == 0 && r.unexpected == 0 && r.unexplained_duplicates == 0 &&
           r.effects_twice == 0 && r.effects_missed == 0 && r.delivered == r.committed;
}

std::string describe(const chaos_result& r) {
    std::ostringstream out;
    out << r.scenario << ": committed " << r.committed << ", delivered " << r.delivered << ", lost " << r.lost
        << ", duplicates " << r.duplicates << " (unexplained " << r.unexplained_duplicates << "), reorders "
        << r.reorders << ", unexpected " << r.unexpected << ", effects applied twice " << r.effects_twice
        << ", effects missed " << r.effects_missed
        << ", faults " << r.faults;
    if (!r.notes.empty()) out << "; " << r.notes;
    for (const auto& p : r.problems) out << "\n  " << p;
    return out.str();
}

void report(const chaos_result& r, const chaos_parameters& p) {
    std::ostringstream line;
    line << std::fixed << std::setprecision(1);
    line << "CHAOS-RESULT scenario=" << r.scenario << " committed=" << r.committed << " delivered=" << r.delivered
         << " lost=" << r.lost << " duplicates=" << r.duplicates << " unexplained=" << r.unexplained_duplicates
         << " reorders=" << r.reorders << " unexpected=" << r.unexpected << " effects_twice=" << r.effects_twice
         << " effects_missed=" << r.effects_missed
         << " faults=" << r.faults << " seconds=" << r.seconds << " seed=" << p.seed;
    std::cout << line.str() << " notes=\"" << r.notes << "\"" << std::endl;
    if (const char* path = std::getenv("CHAOS_REPORT"); path != nullptr && *path != '\0') {
        std::ofstream out(path, std::ios::app);
        out << std::fixed << std::setprecision(1) << r.scenario << '\t' << r.committed << '\t' << r.delivered << '\t'
            << r.lost << '\t' << r.duplicates << '\t' << r.unexplained_duplicates << '\t' << r.reorders << '\t'
            << r.effects_twice << '\t' << r.effects_missed << '\t' << r.faults << '\t' << r.seconds << '\t'
            << p.seed << '\t'
            << (clean(r) ? "ok" : "FAIL") << '\t' << r.notes << '\n';
        if (!out) throw std::runtime_error(std::string("chaos: cannot append to CHAOS_REPORT=") + path);
    }
}

kafka_instance::kafka_instance(std::string script, std::string name, int nodes, std::string log_path)
    : script_(std::move(script)), name_(std::move(name)), log_path_(std::move(log_path)) {
    const auto [status, output] =
        run_command({"/bin/bash", script_, "start", "--nodes", std::to_string(nodes), "--name", name_},
                    {{"KAFKA_AUTO_CREATE_TOPICS", "false"}, {"KAFKA_HEAP", "384m"}}, log_path_,
                    std::chrono::seconds(180));
    const auto key = std::string("KAFKA_BOOTSTRAP_SERVERS=");
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(key)) bootstrap_ = line.substr(key.size());
    }
    if (status != 0 || bootstrap_.empty()) {
        run({"stop", "--name", name_}, std::chrono::seconds(60));
        throw std::runtime_error("chaos: kafka.sh start --name " + name_ + " failed (exit " + std::to_string(status) +
                                 "):\n" + output);
    }
}

kafka_instance::~kafka_instance() {
    try {
        run({"stop", "--name", name_}, std::chrono::seconds(60));
    } catch (const std::exception& e) {
        std::cerr << "chaos: stopping Kafka instance " << name_ << ": " << e.what() << std::endl;
    }
}

void kafka_instance::run(const std::vector<std::string>& args, std::chrono::seconds timeout) const {
    std::vector<std::string> argv{"/bin/bash", script_};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto [status, output] = run_command(argv, {}, log_path_ + ".cmd", timeout);
    std::ofstream(log_path_, std::ios::app) << output;
    if (status != 0) throw std::runtime_error("chaos: kafka.sh " + args.front() + " failed:\n" + output);
}

std::string kafka_instance::state_dir() const {
    if (const char* root = std::getenv("DOMAIN_EVENTS_KAFKA_STATE"); root != nullptr && *root != '\0') {
        return std::string(root) + "/" + name_;
    }
    const auto repo = std::filesystem::path(script_).parent_path().parent_path();
    return (repo / ".cache" / "kafka" / "run" / name_).string();
}

void kafka_instance::kill_node(int i) const {
    const auto pid_file = state_dir() + "/node-" + std::to_string(i) + ".pid";
    pid_t pid = 0;
    std::ifstream(pid_file) >> pid;
    if (pid <= 0) throw std::runtime_error("chaos: no pid in " + pid_file);
    if (::kill(pid, SIGKILL) != 0) {
        throw std::runtime_error("chaos: kill -9 " + std::to_string(pid) + " (node " + std::to_string(i) +
                                 "): " + std::strerror(errno));
    }
    run({"kill-node", std::to_string(i), "--name", name_}, std::chrono::seconds(60));  // waits until it is gone
}

void kafka_instance::restart_node(int i) const {
    run({"restart-node", std::to_string(i), "--name", name_}, std::chrono::seconds(180));
}

relay_processes::relay_processes(std::string cli, std::map<std::string, std::string> env, std::string db_path,
                                 std::string log_dir)
    : cli_(std::move(cli)), env_(std::move(env)), db_path_(std::move(db_path)), log_dir_(std::move(log_dir)) {
    env_["DOMAIN_EVENTS_DB"] = db_path_;
    env_["DOMAIN_EVENTS_LEASE_PERIOD_MS"] = std::to_string(lease_period.count());
}

std::unique_ptr<child_process> relay_processes::start(const std::string& owner) {
    return std::make_unique<child_process>(std::vector<std::string>{cli_, "relay", "--owner-id", owner}, env_,
                                           log_of(++runs_));
}

std::string relay_processes::log_of(int n) const { return log_dir_ + "/relay-" + std::to_string(n) + ".log"; }

std::optional<std::string> relay_processes::lease_owner() const {
    database db(db_path_);
    const auto lease = relay_lease(db, "chaos-observer", lease_period).holder(now_ms());
    return lease ? std::optional(lease->owner) : std::nullopt;
}

void relay_processes::wait_lease_expired() const {
    const bool expired =
        eventually([&] { return !lease_owner().has_value(); }, 2 * lease_period + std::chrono::seconds(1));
    if (!expired) throw std::runtime_error("chaos: the lease of a killed relay did not expire within two periods");
}

}  // namespace domain_events::testing
