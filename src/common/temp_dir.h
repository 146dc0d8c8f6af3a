// A temporary directory removed with everything in it when its owner goes away.
#pragma once

#include <string>

namespace alfs {

class TempDir {
 public:
  // mkdtemp under $TMPDIR (or /tmp) named "<prefix>-XXXXXX"; throws SystemError.
  explicit TempDir(const std::string& prefix = "alfs");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path()/name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace alfs
