#include "temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace domain_events::testing {

temp_dir::temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "domain_events_test_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ignored;  // a test's leftovers must not fail the next one
    std::filesystem::remove_all(path_, ignored);
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace domain_events::testing
