#pragma once
// Which message each partition's handler is running, kept where a crash cannot erase it: a small
// file mapped shared into memory, so a store is a memory write and survives the process being
// killed (the kernel's page cache holds it). The next process that owns the partition finds the
// message it died on and how many deaths in a row it has cost; the consumer dead-letters it at
// the limit instead of running it again. Internal.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace domain_events::detail {

class crash_journal {
public:
    /** @brief One partition's record. */
    struct slot;

    /**
     * @brief Maps `path` (created when missing, 0600). An empty path, or a file that cannot be
     *        mapped, gives a journal that records nothing (`enabled()` false).
     */
    explicit crash_journal(const std::string& path);
    ~crash_journal();
    crash_journal(const crash_journal&) = delete;
    crash_journal& operator=(const crash_journal&) = delete;

    [[nodiscard]] bool enabled() const noexcept { return slots_ != nullptr; }

    /**
     * @brief How many deaths in a row the message at `offset` of `topic`/`partition` has cost: a
     *        process other than this one (and no longer running) was applying it when it died,
     *        after that many deaths before. 0 when it is not a suspect.
     */
    [[nodiscard]] std::uint32_t deaths(std::string_view topic, std::int32_t partition, std::int64_t offset) noexcept;
    /** @brief While it lives, a handler runs on one message: a death is charged to that message. */
    class running {
    public:
        explicit running(slot* s) noexcept : slot_(s) {}
        /** @brief The handler returned or threw: the process survived the message. */
        ~running();
        running(const running&) = delete;
        running& operator=(const running&) = delete;

    private:
        slot* slot_;
    };

    /** @brief The handler is about to run on the message, after `deaths` deaths on it before. */
    [[nodiscard]] running applying(std::string_view topic, std::int32_t partition, std::int64_t offset,
                                   std::uint32_t deaths) noexcept;
    /** @brief The message was dead-lettered: nobody is charged for it any more. */
    void forget(std::string_view topic, std::int32_t partition) noexcept;

private:
    // A partition's slot, and what it said when this process first looked: the message its last
    // owner died on, if it did (the slot is overwritten by the first message applied here).
    struct entry {
        slot* at = nullptr;
        std::int64_t suspect_offset = -1;
        std::uint32_t suspect_deaths = 0;
    };
    entry* find(std::string_view topic, std::int32_t partition) noexcept;
    entry* find_uncached(std::string_view topic, std::int32_t partition) noexcept;

    slot* slots_ = nullptr;
    int fd_ = -1;
    pid_t self_ = 0;
    std::unordered_map<std::string, entry> cache_;  // "<partition>/<topic>" -> its slot
    // The last partition looked up: three lookups per message, nearly always of the same one.
    const char* last_topic_ = nullptr;
    std::int32_t last_partition_ = -1;
    entry* last_ = nullptr;
};

}  // namespace domain_events::detail
