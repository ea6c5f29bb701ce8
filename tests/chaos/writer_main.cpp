// A writer process of the concurrent-writers chaos scenario:
//   domain_events_chaos_writer DB NAME CAP SEED PAUSE_MS
// writes (row, event) pairs (writing.hpp) until CAP or SIGTERM/SIGINT, then prints `wrote=N`.
#include <domain_events/ops/shutdown_signals.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <string>

#include "writing.hpp"

int main(int argc, char** argv) {
    domain_events::shutdown_signals signals;  // first: blocks SIGTERM/SIGINT for every thread
    if (argc != 6) {
        std::cerr << "usage: domain_events_chaos_writer DB NAME CAP SEED\n";
        return 2;
    }
    try {
        std::atomic<bool> stop{false};
        const auto registration = signals.on_signal([&] { stop = true; });
        const auto written = domain_events::chaos::write_pairs(argv[1], argv[2], std::stoul(argv[3]), stop,
                                                               static_cast<std::uint32_t>(std::stoul(argv[4])),
                                                               std::chrono::milliseconds(std::stol(argv[5])));
        std::cout << "wrote=" << written << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "chaos_writer: " << e.what() << std::endl;
        return 1;
    }
}
