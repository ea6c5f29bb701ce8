#include "ops/open_files.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>

namespace domain_events::detail {

unsigned connections_within(unsigned wanted, std::uint64_t soft_limit) noexcept {
    const auto room = soft_limit > 2 * descriptors_kept_back ? soft_limit - descriptors_kept_back : soft_limit / 2;
    return static_cast<unsigned>(std::clamp<std::uint64_t>(room, 1, std::max(wanted, 1u)));
}

unsigned make_room_for_connections(unsigned wanted, spdlog::logger& log) noexcept {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
    const rlim_t needed = static_cast<rlim_t>(wanted) + descriptors_kept_back;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        const rlim_t raised = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
        if (raised > limit.rlim_cur) {
            rlimit wider = limit;
            wider.rlim_cur = raised;
            if (::setrlimit(RLIMIT_NOFILE, &wider) == 0) limit = wider;
        }
    }
    if (limit.rlim_cur == RLIM_INFINITY) return wanted;
    const auto fit = connections_within(wanted, limit.rlim_cur);
    if (fit < wanted) {
        try {
            log.warn("http endpoint: room for {} connections, not {}: the process may open {} files (hard limit {}); "
                     "raise `ulimit -n` or lower DOMAIN_EVENTS_HTTP_MAX_CONNECTIONS",
                     fit, wanted, static_cast<std::uint64_t>(limit.rlim_cur), static_cast<std::uint64_t>(limit.rlim_max));
        } catch (...) {
        }
    }
    return fit;
}

}  // namespace domain_events::detail
