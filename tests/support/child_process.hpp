#pragma once
// A child process for process-level tests (relay killed with SIGKILL, CLI exit codes). The
// child is killed and reaped when the object dies, so a failing test leaves nothing behind.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace domain_events::testing {

class child_process {
public:
    /** Starts `argv` with the current environment plus `extra_env`; stdout+stderr go to `output_path`. */
    child_process(std::vector<std::string> argv, const std::map<std::string, std::string>& extra_env,
                  std::string output_path);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    void signal(int signo) const;
    /** Waits up to `timeout` for the exit; the exit status (128 + signal when killed), nothing on timeout. */
    std::optional<int> wait(std::chrono::milliseconds timeout);
    /** What the child wrote so far. */
    [[nodiscard]] std::string output() const;
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string output_path_;
};

/**
 * The port a child announced in its output: the number right after `marker` (e.g. "http
 * endpoint listening on 127.0.0.1:") once that line is complete; nothing when it did not say
 * so within `timeout`.
 */
std::optional<int> announced_port(const child_process& child, const std::string& marker,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

/** Runs a command to completion (bounded by `timeout`); returns {exit status, combined output}. */
std::pair<int, std::string> run_command(std::vector<std::string> argv, const std::map<std::string, std::string>& extra_env,
                                        const std::string& output_path,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace domain_events::testing
