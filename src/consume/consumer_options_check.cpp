#include "consume/consumer_options_check.hpp"

#include <string>

#include "domain_events/error.hpp"
#include "consume/missing_topics_refresher.hpp"

namespace domain_events::detail {

void check_consumer_options(const config& settings, const consumer_options& o) {
    std::string problems;
    const auto add = [&](const std::string& problem) { problems += (problems.empty() ? "" : "\n") + problem; };
    if (o.group_id.empty()) add("consumer_options.group_id: empty; name the consumer group");
    if (o.database_path.empty()) add("consumer_options.database_path: empty; name the consumer's SQLite file");
    if (o.max_handler_attempts < 1) {
        add("consumer_options.max_handler_attempts=" + std::to_string(o.max_handler_attempts) + ": must be >= 1");
    }
    if (o.crash_limit < 0) add("consumer_options.crash_limit=" + std::to_string(o.crash_limit) + ": must be >= 0 (0: never)");
    if (o.dead_letter_attempts < 1) {
        add("consumer_options.dead_letter_attempts=" + std::to_string(o.dead_letter_attempts) + ": must be >= 1");
    }
    if (o.commit_interval.count() <= 0) add("consumer_options.commit_interval: must be positive");
    if (o.max_batch_events < 1) add("consumer_options.max_batch_events=0: must be >= 1 (1: a transaction per event)");
    if (o.max_batch_delay.count() < 0) {
        add("consumer_options.max_batch_delay=" + std::to_string(o.max_batch_delay.count()) + "ms: must be >= 0");
    }
    if (o.lock_wait.count() <= 0) {
        add("consumer_options.lock_wait=" + std::to_string(o.lock_wait.count()) + "ms: must be positive");
    }
    if (o.idle_exit.count() < 0) add("consumer_options.idle_exit: must be >= 0 (0: never)");
    if (o.dedupe_retention.count() <= 0) add("consumer_options.dedupe_retention: must be positive");
    if (o.stall_after.count() <= 0) add("consumer_options.stall_after: must be positive");
    if (o.dead_letter_max_bytes == 0) add("consumer_options.dead_letter_max_bytes: must be positive");
    if (auto problem = missing_topic_refresh_problem(o.missing_topic_refresh)) add(*problem);
    if (!settings.kafka_enabled) add("KAFKA_ENABLED=false: a consumer needs Kafka");
    if (settings.bootstrap_servers.empty()) add("KAFKA_BOOTSTRAP_SERVERS='': the consumer needs a broker address");
    if (!problems.empty()) throw config_error(problems);
}

}  // namespace domain_events::detail
