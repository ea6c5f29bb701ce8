#include "ops/listen_socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "domain_events/error.hpp"

namespace domain_events::detail {
namespace {

struct addrinfo_deleter {
    void operator()(addrinfo* a) const noexcept { freeaddrinfo(a); }
};

}  // namespace

listen_socket bind_listener(const listen_address& address, int& port) {
    const auto where = address.host + ":" + std::to_string(address.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const auto service = std::to_string(address.port);
    if (getaddrinfo(address.host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
        throw config_error("http endpoint " + where + ": the host is not an address of this machine");
    }
    const std::unique_ptr<addrinfo, addrinfo_deleter> owned(found);
    listen_socket socket(::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol));
    if (socket.get() < 0) throw config_error("http endpoint " + where + ": cannot create a socket");
    // SO_REUSEADDR only: SO_REUSEPORT would let a second process bind the same port and take half
    // the requests (a standby relay answering for the active one).
    const int yes = 1;
    setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(socket.get(), found->ai_addr, found->ai_addrlen) != 0 || ::listen(socket.get(), 1024) != 0) {
        throw config_error("http endpoint " + where + ": cannot listen there (address in use, or not this host's)");
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    getsockname(socket.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return socket;
}

}  // namespace domain_events::detail
