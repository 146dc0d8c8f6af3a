#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>

#include "common/error.h"
#include "common/os.h"

namespace alfs {

UniqueFd open_socket(int domain, int type, int protocol, bool nonblocking) {
  return UniqueFd(::socket(domain, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), protocol));
}

int accept_connection(int listener, bool nonblocking) {
  return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
}

int pipe_cloexec(int fds[2]) { return ::pipe2(fds, O_CLOEXEC); }

PollEvent::PollEvent() : read_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!read_) throw SystemError("eventfd");
}

void PollEvent::set() {
  uint64_t one = 1;
  (void)!::write(read_.get(), &one, sizeof one);
}

bool wait_for_exit(pid_t pid, int timeout_ms) {
  // glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage: the system call.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));  // close-on-exec by definition
  if (!pidfd) return errno == ESRCH;
  pollfd p{pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

SignalEvents::SignalEvents(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC));
}

int SignalEvents::take() {
  signalfd_siginfo info{};
  (void)!::read(fd_.get(), &info, sizeof info);
  return static_cast<int>(info.ssi_signo);
}

void drop_pending_signal(int signo) {
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signo);
  timespec zero{};
  while (::sigtimedwait(&only, nullptr, &zero) == signo) {
  }
}

void secure_zero(void* p, size_t n) { explicit_bzero(p, n); }

void close_fds_from(int first) { ::close_range(static_cast<unsigned>(first), ~0U, 0); }

int exec_with_environment(char* const argv[], char* const envp[]) { return ::execvpe(argv[0], argv, envp); }

ssize_t copy_file_bytes(int to, int from, off_t* offset, size_t count) { return ::sendfile(to, from, offset, count); }

int group_list(const char* user, gid_t group, gid_t* groups, int* count) {
  return ::getgrouplist(user, group, groups, count);
}

void set_process_name(const char* name) { ::prctl(PR_SET_NAME, name); }

std::string device_number(dev_t dev) { return std::to_string(major(dev)) + ":" + std::to_string(minor(dev)); }

std::string executable_path() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the anylinuxfs binary: /proc/self/exe: " + ec.message());
  return exe.string();
}

}  // namespace alfs
