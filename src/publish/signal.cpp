#include "domain_events/publish/signal.hpp"

#include <spdlog/spdlog.h>

#include "domain_events/logging.hpp"

namespace domain_events::detail {
namespace {

std::string current_exception_text() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace

receiver_error receiver_failed(std::size_t index, const slot_base& slot, connection receiver, std::string_view sender) {
    receiver_error failure{.receiver_index = index,
                           .dispatch_uid = slot.id.dispatch_uid,
                           .error = std::current_exception(),
                           .what = current_exception_text(),
                           .receiver = std::move(receiver)};
    library_logger()->error("signal: receiver {} (#{}) failed in send_robust from sender '{}': {}", slot.id.label,
                            index, sender, failure.what);
    return failure;
}

}  // namespace domain_events::detail
