// memset_s is declared only when asked for (C11 Annex K).
#define __STDC_WANT_LIB_EXT1__ 1
#include "common/os.h"

#include <fcntl.h>
#include <limits.h>
#include <mach-o/dyld.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"

extern char** environ;

namespace alfs {

namespace {

// What Linux sets in the creating call: close-on-exec, and O_NONBLOCK as asked (an
// accepted socket would otherwise inherit its listener's).
int set_flags(int fd, bool nonblocking) {
  if (fd < 0) return fd;
  int flags = ::fcntl(fd, F_GETFL);
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
      ::fcntl(fd, F_SETFL, nonblocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace

UniqueFd open_socket(int domain, int type, int protocol, bool nonblocking) {
  return UniqueFd(set_flags(::socket(domain, type, protocol), nonblocking));
}

int accept_connection(int listener, bool nonblocking) {
  return set_flags(::accept(listener, nullptr, nullptr), nonblocking);
}

int pipe_cloexec(int fds[2]) {
  if (::pipe(fds) != 0) return -1;
  for (int i : {0, 1}) ::fcntl(fds[i], F_SETFD, FD_CLOEXEC);
  return 0;
}

// A pipe: set() writes a byte that nobody reads, so the read end stays readable.
PollEvent::PollEvent() {
  int fds[2];
  if (::pipe(fds) != 0) throw SystemError("pipe");
  read_.reset(set_flags(fds[0], true));
  write_.reset(set_flags(fds[1], true));
  if (!read_ || !write_) throw SystemError("fcntl");
}

void PollEvent::set() { (void)!::write(write_.get(), "", 1); }

// A kqueue: EVFILT_SIGNAL records a signal sent to the process even while it is blocked,
// and a kqueue fd is readable to poll(2) while it holds an event.
SignalEvents::SignalEvents(std::initializer_list<int> signals) : fd_(::kqueue()) {
  if (!fd_) return;
  ::fcntl(fd_.get(), F_SETFD, FD_CLOEXEC);
  for (int s : signals) {
    struct kevent change {};
    EV_SET(&change, s, EVFILT_SIGNAL, EV_ADD, 0, 0, nullptr);
    ::kevent(fd_.get(), &change, 1, nullptr, 0, nullptr);
  }
}

int SignalEvents::take() {
  struct kevent event {};
  timespec zero{};
  if (::kevent(fd_.get(), nullptr, 0, &event, 1, &zero) != 1) return 0;
  // The signal, blocked, stays pending: its delivery would be the default action.
  drop_pending_signal(static_cast<int>(event.ident));
  return static_cast<int>(event.ident);
}

bool wait_for_exit(pid_t pid, int timeout_ms) {
  UniqueFd queue(::kqueue());
  if (!queue) return false;
  ::fcntl(queue.get(), F_SETFD, FD_CLOEXEC);
  struct kevent change {
  }, event{};
  EV_SET(&change, pid, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, nullptr);
  timespec limit{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  int n = ::kevent(queue.get(), &change, 1, &event, 1, &limit);
  if (n < 0) return errno == ESRCH;
  // A process already gone comes back as an EV_ERROR event holding ESRCH.
  return n == 1 && (!(event.flags & EV_ERROR) || event.data == ESRCH);
}

// No sigtimedwait: sigwait returns at once for a signal sigpending shows.
void drop_pending_signal(int signo) {
  sigset_t pending, only;
  sigemptyset(&only);
  sigaddset(&only, signo);
  int taken = 0;
  while (::sigpending(&pending) == 0 && sigismember(&pending, signo)) ::sigwait(&only, &taken);
}

void secure_zero(void* p, size_t n) { memset_s(p, n, 0, n); }

// No close_range: each possible fd in turn.
void close_fds_from(int first) {
  for (int fd = first, end = ::getdtablesize(); fd < end; ++fd) ::close(fd);
}

int exec_with_environment(char* const argv[], char* const envp[]) {
  environ = const_cast<char**>(envp);
  return ::execvp(argv[0], argv);
}

// macOS's sendfile sends to sockets only: read and write.
ssize_t copy_file_bytes(int to, int from, off_t* offset, size_t count) {
  char buf[1 << 16];
  ssize_t n = ::pread(from, buf, std::min(count, sizeof buf), *offset);
  if (n <= 0) return n;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    done += w;
  }
  *offset += n;
  return n;
}

int group_list(const char* user, gid_t group, gid_t* groups, int* count) {
  static_assert(sizeof(gid_t) == sizeof(int));
  return ::getgrouplist(user, static_cast<int>(group), reinterpret_cast<int*>(groups), count);
}

// A process's name is its executable's on macOS, and its mount(8) does not run
// mount.anylinuxfs (a Linux convention): nothing to rename.
void set_process_name(const char*) {}

std::string device_number(dev_t dev) { return std::to_string(major(dev)) + ":" + std::to_string(minor(dev)); }

std::string executable_path() {
  uint32_t size = 0;
  _NSGetExecutablePath(nullptr, &size);  // says the size it needs
  std::string path(size, '\0');
  if (_NSGetExecutablePath(path.data(), &size) != 0) throw Error("cannot find the anylinuxfs binary");
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) throw SystemError("cannot find the anylinuxfs binary: " + path);
  return resolved;
}

}  // namespace alfs
