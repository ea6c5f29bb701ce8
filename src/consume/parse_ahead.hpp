#pragma once
// Checks and parses the next burst of messages on a thread of its own while the consumer's
// thread applies the previous burst: parsing is about half of a consumer's CPU per event, and
// a consumer has a second core to give it. Internal.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "domain_events/detail/handles.hpp"
#include "consume/message_check.hpp"

namespace domain_events::detail {

class parse_ahead {
public:
    struct item {
        kafka_message message;
        checked_message checked;  ///< filled by the parsing thread
    };

    explicit parse_ahead(const json_bounds& bounds);
    ~parse_ahead();  // waits for the burst in hand, if any
    parse_ahead(const parse_ahead&) = delete;
    parse_ahead& operator=(const parse_ahead&) = delete;

    /** @brief Hands `burst` to the parsing thread. @throws usage_error while one is in hand. */
    void start(std::vector<item> burst);

    /** @brief True from `start` until `finish`. */
    [[nodiscard]] bool busy() const noexcept { return busy_; }

    /**
     * @brief Waits for the burst given to `start` and returns it checked, in the order given
     *        (empty when none is in hand); rethrows what the parsing thread threw.
     */
    [[nodiscard]] std::vector<item> finish();

private:
    void work();

    json_bounds bounds_;
    bool busy_ = false;  // the caller's side only
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<item> burst_;  // with the parsing thread from start() until parsed_
    bool handed_ = false, parsed_ = false, quit_ = false;
    std::exception_ptr failure_;
    std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace domain_events::detail
