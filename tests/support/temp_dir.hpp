#pragma once
// A fresh directory under the system temp dir for one test, removed with everything in it at the end.
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace desk::testing {

class TempDir {
 public:
  /// `prefix` names the folder (desk-<prefix>-XXXXXX), so a leftover one says which test made it.
  explicit TempDir(const std::string& prefix = "test") {
    std::string pattern = (std::filesystem::temp_directory_path() / ("desk-" + prefix + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace desk::testing
