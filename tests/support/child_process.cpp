#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "eventually.hpp"

extern char** environ;

namespace domain_events::testing {

child_process::child_process(std::vector<std::string> argv, const std::map<std::string, std::string>& extra_env,
                             std::string output_path)
    : output_path_(std::move(output_path)) {
    if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [k, v] : extra_env) env[k] = v;
    std::vector<std::string> env_entries;
    for (const auto& [k, v] : env) env_entries.push_back(k + "=" + v);
    std::vector<char*> env_ptrs, arg_ptrs;
    for (auto& e : env_entries) env_ptrs.push_back(e.data());
    env_ptrs.push_back(nullptr);
    for (auto& a : argv) arg_ptrs.push_back(a.data());
    arg_ptrs.push_back(nullptr);
    const int out = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) throw std::runtime_error("child_process: cannot open " + output_path_);

    pid_ = ::fork();
    if (pid_ < 0) {
        ::close(out);
        throw std::runtime_error("child_process: fork failed");
    }
    if (pid_ == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
        ::execve(arg_ptrs[0], arg_ptrs.data(), env_ptrs.data());
        // Say why in the child's output (async-signal-safe: write and digits by hand).
        char text[] = "child_process: execve failed, errno 000\n";
        const int error = errno;
        text[sizeof text - 5] = static_cast<char>('0' + error / 100 % 10);
        text[sizeof text - 4] = static_cast<char>('0' + error / 10 % 10);
        text[sizeof text - 3] = static_cast<char>('0' + error % 10);
        if (::write(STDERR_FILENO, text, sizeof text - 1) < 0) ::_exit(127);
        ::_exit(127);
    }
    ::close(out);
}

child_process::~child_process() {
    if (!status_) {
        ::kill(pid_, SIGKILL);
        int ignored = 0;
        ::waitpid(pid_, &ignored, 0);
    }
}

void child_process::signal(int signo) const {
    if (!status_) ::kill(pid_, signo);
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!status_) {
        int raw = 0;
        const pid_t done = ::waitpid(pid_, &raw, WNOHANG);
        if (done == pid_) {
            status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
}

std::string child_process::output() const {
    std::ifstream in(output_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<int> announced_port(const child_process& child, const std::string& marker,
                                  std::chrono::milliseconds timeout) {
    std::optional<int> port;
    eventually(
        [&] {
            const auto out = child.output();
            const auto at = out.find(marker);
            if (at == std::string::npos || out.find('\n', at) == std::string::npos) return false;
            port = std::stoi(out.substr(at + marker.size()));
            return true;
        },
        timeout);
    return port;
}

std::pair<int, std::string> run_command(std::vector<std::string> argv, const std::map<std::string, std::string>& extra_env,
                                        const std::string& output_path, std::chrono::milliseconds timeout) {
    { std::ofstream truncate(output_path, std::ios::trunc); }
    child_process child(std::move(argv), extra_env, output_path);
    const auto status = child.wait(timeout);
    if (!status) throw std::runtime_error("run_command: still running after " + std::to_string(timeout.count()) + " ms");
    return {*status, child.output()};
}

}  // namespace domain_events::testing
