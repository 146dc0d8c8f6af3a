// What the fuzzers share: an invariant that does not hold aborts, which libFuzzer
// reports as a crash with the input that broke it; a file holding the input.
#pragma once

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/fd.h"

#define FUZZ_CHECK(cond, what)                                                                                         \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      std::fprintf(stderr, "%s:%d: invariant broken: %s: %s\n", __FILE__, __LINE__, #cond, std::string(what).c_str()); \
      std::abort();                                                                                                    \
    }                                                                                                                  \
  } while (0)

// A file in memory holding the input, named /proc/self/fd/N for the code that opens
// paths: nothing is left behind however the fuzzer ends (crash, -max_total_time).
class InputFile {
 public:
  InputFile() : fd_(::memfd_create("alfs-fuzz-input", MFD_CLOEXEC)), path_("/proc/self/fd/" + std::to_string(fd_)) {
    FUZZ_CHECK(fd_ >= 0, "memfd_create");
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& write(std::string_view data) {
    FUZZ_CHECK(::ftruncate(fd_, 0) == 0, "ftruncate");
    for (size_t done = 0; done < data.size();) {
      ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(done));
      FUZZ_CHECK(n > 0, "pwrite");
      done += static_cast<size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

// A socketpair whose peer end has written the input (its first 64 KiB: more would block
// the writer) and then stopped writing; `ours` reads it.
struct FedSocket {
  alfs::UniqueFd ours, peer;
};
inline FedSocket feed_socket(std::string_view bytes) {
  int fds[2];
  FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
  FedSocket s{alfs::UniqueFd(fds[0]), alfs::UniqueFd(fds[1])};
  bytes = bytes.substr(0, 64 * 1024);
  while (!bytes.empty()) {
    ssize_t n = ::write(s.peer.get(), bytes.data(), bytes.size());
    FUZZ_CHECK(n > 0, "write to the socketpair");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  ::shutdown(s.peer.get(), SHUT_WR);
  return s;
}
