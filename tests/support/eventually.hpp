#pragma once
// Bounded polling of another process's progress, for process-level tests that cannot be woken.
#include <chrono>
#include <thread>

namespace domain_events::testing {

/** Calls `done` every 20 ms until it returns true (then true) or `limit` passes (then false). */
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return true;
}

}  // namespace domain_events::testing
