#pragma once
// A fresh directory for one test's SQLite files, removed when the test ends.
#include <filesystem>
#include <string>

namespace domain_events::testing {

class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /** A file path inside the directory. */
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/** The whole content of the file at `path` (empty when it cannot be read). */
[[nodiscard]] std::string file_bytes(const std::string& path);

}  // namespace domain_events::testing
