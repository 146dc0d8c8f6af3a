// RAII file descriptors. Every fd the project opens lives in a UniqueFd.
#pragma once

#include <string>
#include <utility>

namespace alfs {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// pipe2(O_CLOEXEC); throws SystemError on failure.
Pipe make_pipe();

// open(2) with O_CLOEXEC added; throws SystemError naming the path.
UniqueFd open_file(const std::string& path, int flags, int mode = 0644);

// Writes all bytes, retrying on EINTR and short writes; throws SystemError.
void write_all(int fd, std::string_view data);

// Reads the whole file; throws SystemError naming the path.
std::string read_file(const std::string& path);

// Writes a file through a temporary and rename(2), so readers never see half of it.
void write_file_atomic(const std::string& path, std::string_view data, int mode = 0644);

}  // namespace alfs
