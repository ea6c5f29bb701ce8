#include "consume/crash_journal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>

namespace domain_events::detail {
namespace {

constexpr std::uint32_t slot_count = 1024;
constexpr std::size_t max_topic = 255;  // Kafka allows 249 characters

enum : std::uint32_t { empty = 0, idle = 1, applying_now = 2 };

bool alive(pid_t pid) noexcept { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

struct crash_journal::slot {
    std::uint32_t state;
    std::int32_t partition;
    std::int32_t pid;
    std::uint32_t deaths;  // of the message at `offset`, before the current attempt
    std::int64_t offset;
    char topic[max_topic + 1];
};

crash_journal::crash_journal(const std::string& path) : self_(::getpid()) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    const auto size = static_cast<off_t>(sizeof(slot) * slot_count);
    // Every block allocated now: a store into a mapped page the file system cannot back (a full
    // disk) would kill the process with SIGBUS. Without room, the journal is off.
    if (fd_ < 0 || ::posix_fallocate(fd_, 0, size) != 0) return;
    void* mapped = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (mapped != MAP_FAILED) slots_ = static_cast<slot*>(mapped);
}

crash_journal::~crash_journal() {
    if (slots_ != nullptr) ::munmap(slots_, sizeof(slot) * slot_count);
    if (fd_ >= 0) ::close(fd_);
}

crash_journal::entry* crash_journal::find(std::string_view topic, std::int32_t partition) noexcept {
    if (slots_ == nullptr || topic.size() > max_topic) return nullptr;
    // librdkafka's names are stable pointers; the name is compared too, in case one was freed and reused.
    if (topic.data() == last_topic_ && partition == last_partition_ &&
        (last_ == nullptr || std::string_view(last_->at->topic, ::strnlen(last_->at->topic, max_topic + 1)) == topic)) {
        return last_;
    }
    entry* found = find_uncached(topic, partition);
    last_topic_ = topic.data();
    last_partition_ = partition;
    last_ = found;
    return found;
}

crash_journal::entry* crash_journal::find_uncached(std::string_view topic, std::int32_t partition) noexcept {
    try {
        auto key = std::to_string(partition) + "/" + std::string(topic);
        if (const auto cached = cache_.find(key); cached != cache_.end()) return &cached->second;
        const auto remember = [&](slot& s) {
            entry e{&s};
            // Its last owner was applying a message and is gone: it died on it. A live owner is
            // another replica that had the partition before a rebalance.
            if (s.state == applying_now && s.pid != self_ && !alive(s.pid)) {
                e.suspect_offset = s.offset;
                e.suspect_deaths = s.deaths + 1;
                s.deaths = e.suspect_deaths;  // kept while the message is tried again
                s.state = idle;
            }
            return &cache_.emplace(std::move(key), e).first->second;  // node-based: the address stays
        };
        // Open addressing from the key's hash; a full table leaves the partition unguarded.
        const auto start = std::hash<std::string>{}(key) % slot_count;
        for (std::uint32_t probe = 0; probe < slot_count; ++probe) {
            slot& s = slots_[(start + probe) % slot_count];
            if (s.state == empty) {
                std::memcpy(s.topic, topic.data(), topic.size());
                s.topic[topic.size()] = '\0';
                s.partition = partition;
                s.deaths = 0;
                s.pid = self_;
                s.offset = -1;
                std::atomic_signal_fence(std::memory_order_release);  // the stores in this order, for a kill between them
                s.state = idle;
                return remember(s);
            }
            // strnlen: a damaged file must not make the comparison run off the slot.
            if (s.partition == partition && std::string_view(s.topic, ::strnlen(s.topic, sizeof s.topic)) == topic) {
                return remember(s);
            }
        }
    } catch (...) {
    }
    return nullptr;
}

std::uint32_t crash_journal::deaths(std::string_view topic, std::int32_t partition, std::int64_t offset) noexcept {
    const entry* e = find(topic, partition);
    return e != nullptr && e->suspect_offset == offset ? e->suspect_deaths : 0;
}

crash_journal::running crash_journal::applying(std::string_view topic, std::int32_t partition,
                                              std::int64_t offset, std::uint32_t deaths) noexcept {
    entry* e = find(topic, partition);
    if (e == nullptr) return running(nullptr);
    slot* s = e->at;
    s->state = idle;
    std::atomic_signal_fence(std::memory_order_release);  // the stores in this order, for a kill between them
    s->offset = offset;
    s->deaths = deaths;
    s->pid = self_;
    std::atomic_signal_fence(std::memory_order_release);  // the stores in this order, for a kill between them
    s->state = applying_now;
    return running(s);
}

crash_journal::running::~running() {
    if (slot_ != nullptr) slot_->state = idle;
}

void crash_journal::forget(std::string_view topic, std::int32_t partition) noexcept {
    if (entry* e = find(topic, partition)) {
        e->suspect_offset = -1;
        e->suspect_deaths = 0;
        e->at->state = idle;
        e->at->deaths = 0;
        e->at->offset = -1;
    }
}

}  // namespace domain_events::detail
