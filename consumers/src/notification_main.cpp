// notification-consumer: see consumers/README.md; `--help` lists the flags.
#include <domain_events/ops/consumer_cli.hpp>
#include <healthcore/consumers/notifications.hpp>

int main(int argc, char** argv) {
    return domain_events::run_consumer_cli(healthcore::consumers::notifications_program(), argc, argv);
}
