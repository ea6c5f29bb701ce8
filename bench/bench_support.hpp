#pragma once
// What the benchmarks share: flags, statistics, a scratch directory, a cluster to talk to.
#include <domain_events/config.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/kafka/topic_admin.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace bench {

/** `--name value` pairs; an unknown or valueless flag exits with status 2 naming it. */
class flags {
public:
    flags(int argc, char** argv, std::map<std::string, std::string> defaults) : values_(std::move(defaults)) {
        for (int i = 1; i < argc; i += 2) {
            const std::string name = argv[i];
            if (name.rfind("--", 0) != 0 || !values_.contains(name.substr(2)) || i + 1 >= argc) {
                std::fprintf(stderr, "%s: unknown or incomplete flag '%s'\n", argv[0], name.c_str());
                std::exit(2);
            }
            values_[name.substr(2)] = argv[i + 1];
        }
    }
    [[nodiscard]] long number(const std::string& name) const {
        char* end = nullptr;
        const long n = std::strtol(values_.at(name).c_str(), &end, 10);
        if (*end != '\0' || n < 0) {
            std::fprintf(stderr, "--%s: '%s' is not a non-negative integer\n", name.c_str(), values_.at(name).c_str());
            std::exit(2);
        }
        return n;
    }
    [[nodiscard]] const std::string& text(const std::string& name) const { return values_.at(name); }

private:
    std::map<std::string, std::string> values_;
};

inline double percentile(std::vector<double> values, double q) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}
inline double median(std::vector<double> values) { return percentile(std::move(values), 0.5); }

/** A directory removed at exit of scope. */
class scratch_dir {
public:
    explicit scratch_dir(const std::string& stem)
        : path_(std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(path_);
    }
    ~scratch_dir() { std::filesystem::remove_all(path_); }
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/** The broker given on the command line, or an embedded (mock) cluster when none is. */
class target_cluster {
public:
    explicit target_cluster(const std::string& bootstrap_servers) : bootstrap_(bootstrap_servers) {
        if (bootstrap_.empty()) {
            embedded_ = std::make_unique<domain_events::embedded_cluster>(1);
            bootstrap_ = embedded_->bootstrap_servers();
        }
    }
    [[nodiscard]] const std::string& bootstrap_servers() const { return bootstrap_; }
    [[nodiscard]] const char* kind() const { return embedded_ ? "mock cluster" : "real broker"; }
    /** On the mock only: on a real broker the code under test creates its topics (the relay). */
    void create_topic(const std::string& topic, int partitions) {
        if (embedded_) embedded_->create_topic(topic, partitions, 1);
    }
    /** On either: a real broker through the library's Admin API client (auto-creation may be off). */
    void ensure_topic(const std::string& topic, int partitions) {
        if (embedded_) {
            embedded_->create_topic(topic, partitions, 1);
            return;
        }
        domain_events::config c;
        c.bootstrap_servers = bootstrap_;
        domain_events::topic_settings settings;
        settings.partitions = partitions;
        domain_events::topic_admin admin(c, std::chrono::seconds{30});
        const auto report = admin.ensure(domain_events::topic_spec{topic, settings});
        if (report.outcome == domain_events::topic_outcome::differs) {
            throw std::runtime_error("bench: topic " + topic + " exists with other settings: " + report.detail);
        }
    }

private:
    std::unique_ptr<domain_events::embedded_cluster> embedded_;
    std::string bootstrap_;
};

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace bench
