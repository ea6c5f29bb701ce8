#pragma once
// Bounded polling of another process's progress, for process-level tests that cannot be woken.
#include <chrono>
#include <thread>

namespace domain_events::testing {

/** Calls `done` every `interval` until it returns true (then true) or `limit` passes (then false). */
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds limit = std::chrono::seconds(60),
                std::chrono::milliseconds interval = std::chrono::milliseconds{20}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(interval);
    }
    return true;
}

}  // namespace domain_events::testing
