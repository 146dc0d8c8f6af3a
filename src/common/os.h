// The system calls Linux and macOS spell differently, each behind one name: os_linux.cc
// makes Linux's call as it always did, os_macos.cc its nearest macOS equivalent (macOS
// has no SOCK_CLOEXEC, accept4, pipe2, eventfd, signalfd, sigtimedwait, execvpe,
// explicit_bzero, close_range, sendfile between files...).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <initializer_list>
#include <string>

#include "common/fd.h"

namespace alfs {

// socket(2), close-on-exec, and non-blocking when asked; an invalid fd and errno on failure.
UniqueFd open_socket(int domain, int type, int protocol, bool nonblocking = false);

// accept(2) of a connection, close-on-exec, and non-blocking when asked; -1 and errno as accept's.
int accept_connection(int listener, bool nonblocking = false);

// pipe(2) with both ends close-on-exec; 0, or -1 and errno.
int pipe_cloexec(int fds[2]);

// A flag a poll(2) loop watches: fd() is readable once set() was called, from any thread.
class PollEvent {
 public:
  PollEvent();  // throws SystemError
  int fd() const { return read_.get(); }
  void set();

 private:
  UniqueFd read_;
  UniqueFd write_;  // macOS's pipe; Linux's eventfd is read_ alone
};

// Signals taken from a poll(2) loop: fd() is readable while one is pending. The caller
// blocks them in every thread first (pthread_sigmask), so none is delivered otherwise.
class SignalEvents {
 public:
  explicit SignalEvents(std::initializer_list<int> signals);
  int fd() const { return fd_.get(); }
  // The pending signal's number, once fd() is readable.
  int take();

 private:
  UniqueFd fd_;
};

// Waits up to `timeout_ms` for process `pid` to exit: true once it has (or when there is
// none), false at the timeout or when it cannot be watched (the caller polls then). Any
// user may watch any process: pidfd on Linux, kqueue's EVFILT_PROC on macOS.
bool wait_for_exit(pid_t pid, int timeout_ms);

// While `signo` is blocked in this thread, consumes its pending deliveries.
void drop_pending_signal(int signo);

// Zeroes memory in a way the compiler does not drop as a dead store (secrets).
void secure_zero(void* p, size_t n);

// Closes every fd from `first` up; async-signal-safe (between fork and exec or _exit).
void close_fds_from(int first);

// execvpe(3): `file` looked up in PATH, with the environment `envp`. Only between fork and
// exec: macOS has no execvpe, and there the child's environ is replaced first.
int exec_with_environment(char* const argv[], char* const envp[]);

// sendfile(2) semantics between two files: up to `count` bytes from `from` at *offset
// (advanced) written to `to`; the bytes written, 0 at the end, or -1 and errno.
ssize_t copy_file_bytes(int to, int from, off_t* offset, size_t count);

// getgrouplist(3) with gid_t (macOS's takes int).
int group_list(const char* user, gid_t group, gid_t* groups, int* count);

// The name ps and /proc/<pid>/comm show for this process.
void set_process_name(const char* name);

// "major:minor", as mountinfo and sysfs's `dev` files write a device number.
std::string device_number(dev_t dev);

// The running program's file, symlinks resolved (Linux: /proc/self/exe; macOS:
// _NSGetExecutablePath). Throws Error.
std::string executable_path();

}  // namespace alfs
