#include "common/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "common/error.h"
#include "common/os.h"

namespace alfs {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Pipe make_pipe() {
  int fds[2];
  if (pipe_cloexec(fds) != 0) throw SystemError("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd open_file(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw SystemError("cannot open " + path);
  return UniqueFd(fd);
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_file(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_file_atomic(const std::string& path, std::string_view data, int mode) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    // A new file: whatever an earlier run (or anyone) left under the name is not written through.
    ::unlink(tmp.c_str());
    UniqueFd fd = open_file(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    write_all(fd.get(), data);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw SystemError("cannot write " + path, err);
  }
}

}  // namespace alfs
