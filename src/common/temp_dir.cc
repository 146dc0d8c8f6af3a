#include "common/temp_dir.h"

#include <unistd.h>  // mkdtemp on macOS

#include <cstdlib>
#include <filesystem>

#include "common/error.h"

namespace alfs {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw SystemError("cannot create a temporary directory in " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace alfs
