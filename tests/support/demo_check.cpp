#include "demo_check.hpp"

#include <chrono>
#include <tuple>

#include "child_process.hpp"

namespace domain_events::testing {

demo_summary parse_demo_summary(const std::string& output) {
    demo_summary s;
    const auto line_start = output.rfind("summary: ");
    if (line_start == std::string::npos) return s;
    const auto line = output.substr(line_start, output.find('\n', line_start) - line_start);
    const auto figure = [&line](const std::string& label) {
        const auto at = line.find(label + " ");
        return at == std::string::npos ? -1L : std::stol(line.substr(at + label.size() + 1));
    };
    s.written = figure("written");
    s.published = figure("published");
    s.consumed = figure("consumed");
    s.duplicates_skipped = figure("duplicates skipped");
    return s;
}

demo_run run_demo_and_verify(const std::string& demo, const std::vector<std::string>& args, const config& settings,
                             const std::string& log_path) {
    std::vector<std::string> argv{demo, "--db", settings.database_path};
    argv.insert(argv.end(), args.begin(), args.end());
    demo_run run;
    std::tie(run.status, run.output) =
        run_command(argv,
                    {{"KAFKA_BOOTSTRAP_SERVERS", settings.bootstrap_servers},
                     {"KAFKA_TOPIC_PREFIX", settings.topic_prefix},
                     {"KAFKA_ENABLED", "true"}},
                    log_path, std::chrono::minutes(5));
    run.summary = parse_demo_summary(run.output);
    if (run.status == 0) run.delivery = verify_outbox_delivered(settings.database_path, settings, std::chrono::seconds(60));
    return run;
}

}  // namespace domain_events::testing
