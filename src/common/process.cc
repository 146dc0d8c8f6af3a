#include "common/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/os.h"

extern char** environ;

namespace alfs {

bool ExitStatus::exited() const { return WIFEXITED(raw); }

int ExitStatus::code() const {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return -1;
}

std::string ExitStatus::describe() const {
  if (WIFEXITED(raw)) return "exit code " + std::to_string(WEXITSTATUS(raw));
  if (WIFSIGNALED(raw)) return std::string("killed by signal ") + std::to_string(WTERMSIG(raw));
  return "unknown status";
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (running()) terminate(std::chrono::milliseconds(0));
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

Process::~Process() {
  if (running()) terminate(std::chrono::milliseconds(0));
}

std::optional<ExitStatus> Process::poll() {
  if (status_ || pid_ <= 0) return status_;
  int raw = 0;
  pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r == pid_) {
    status_ = ExitStatus{raw};
  } else if (r < 0 && errno == ECHILD) {
    status_ = ExitStatus{0};  // reaped elsewhere (e.g. by PID 1's reaper)
  }
  return status_;
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (auto s = poll()) return s;
    if (deadline.expired()) return std::nullopt;
    std::this_thread::sleep_for(std::min(pause, std::chrono::milliseconds(deadline.remaining_ms() + 1)));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

ExitStatus Process::wait() {
  if (auto s = poll()) return *s;
  int raw = 0;
  while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
  }
  status_ = ExitStatus{raw};
  return *status_;
}

void Process::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

ExitStatus Process::terminate(std::chrono::milliseconds grace) {
  if (auto s = poll()) return *s;
  signal(SIGTERM);
  if (auto s = wait_for(grace)) return *s;
  signal(SIGKILL);
  return wait();
}

pid_t Process::release() {
  status_ = ExitStatus{0};
  return std::exchange(pid_, -1);
}

Process spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw Error("spawn: empty command");
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool overridden = false;
    for (const auto& x : options.extra_env) {
      auto eq = x.find('=');
      if (entry.substr(0, eq + 1) == std::string_view(x).substr(0, eq + 1)) overridden = true;
    }
    if (!overridden) env_store.emplace_back(entry);
  }
  env_store.insert(env_store.end(), options.extra_env.begin(), options.extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  UniqueFd devnull = open_file("/dev/null", O_RDWR);
  Pipe exec_error = make_pipe();  // carries errno if execvpe fails

  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) {
    if (options.new_session) ::setsid();
    int in = options.stdin_fd >= 0 ? options.stdin_fd : devnull.get();
    ::dup2(in, 0);
    if (options.stdout_fd >= 0) ::dup2(options.stdout_fd, 1);
    if (options.stderr_fd >= 0) ::dup2(options.stderr_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    for (int fd : options.inherit_fds) ::fcntl(fd, F_SETFD, 0);
    const UserIdentity* user = options.user ? &*options.user : nullptr;
    bool became = !user || (::setgroups(user->groups.size(), user->groups.data()) == 0 && ::setgid(user->gid) == 0 &&
                            ::setuid(user->uid) == 0);
    if (became) exec_with_environment(argv.data(), envp.data());
    int err = errno;
    (void)!::write(exec_error.write.get(), &err, sizeof err);
    ::_exit(127);
  }
  exec_error.write.reset();
  Process child(pid);
  int err = 0;
  ssize_t n;
  while ((n = ::read(exec_error.read.get(), &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n == sizeof err) {
    child.wait_for(std::chrono::seconds(5));
    throw SystemError(
        "cannot run " + options.argv[0] + (options.user ? " as uid " + std::to_string(options.user->uid) : ""), err);
  }
  return child;
}

namespace {

// A command may exit without reading its stdin; the EPIPE is expected then, the SIGPIPE
// that would kill the caller is not. Blocked for this thread, and a pending one consumed.
ssize_t write_without_sigpipe(int fd, std::string_view data) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t n = ::write(fd, data.data(), data.size());
  int saved = errno;
  if (n < 0 && errno == EPIPE) {
    drop_pending_signal(SIGPIPE);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

RunResult run_captured(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       const std::vector<std::string>& extra_env, const std::string_view* input,
                       const std::optional<UserIdentity>& user = std::nullopt) {
  Pipe out = make_pipe();
  std::optional<Pipe> in;
  if (input) in = make_pipe();
  SpawnOptions opts;
  opts.argv = argv;
  opts.extra_env = extra_env;
  opts.stdin_fd = in ? in->read.get() : -1;
  opts.stdout_fd = out.write.get();
  opts.stderr_fd = out.write.get();
  opts.user = user;
  Process child = spawn(opts);
  out.write.reset();
  std::string_view pending = input ? *input : std::string_view();
  if (in) {
    in->read.reset();
    ::fcntl(in->write.get(), F_SETFL, O_NONBLOCK);
    if (pending.empty()) in->write.reset();
  }

  auto timed_out = [&] {
    child.terminate(std::chrono::milliseconds(500));
    return Error(argv[0] + " timed out after " + std::to_string(timeout.count() / 1000) + " s");
  };
  Deadline deadline(timeout);
  RunResult result;
  char buf[4096];
  for (;;) {
    // Feeding stdin and draining the output together: neither side can block the other.
    pollfd pfds[2] = {{out.read.get(), POLLIN, 0}, {in && in->write ? in->write.get() : -1, POLLOUT, 0}};
    int r = ::poll(pfds, 2, deadline.remaining_ms());
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) throw timed_out();
    if (pfds[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t n = write_without_sigpipe(in->write.get(), pending);
      if (n > 0) pending.remove_prefix(static_cast<size_t>(n));
      if (n < 0 && errno != EAGAIN && errno != EINTR) pending = {};  // the command closed its stdin
      if (pending.empty()) in->write.reset();
    }
    if (!(pfds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::read(out.read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // every writer closed: the child is done (or detached its output)
    result.output.append(buf, static_cast<size_t>(n));
  }
  auto status = child.wait_for(std::chrono::milliseconds(deadline.remaining_ms()));
  if (!status) throw timed_out();
  result.status = *status;
  return result;
}

}  // namespace

RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                      const std::vector<std::string>& extra_env) {
  return run_captured(argv, timeout, extra_env, nullptr);
}

RunResult run_command_as(const std::optional<UserIdentity>& user, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout) {
  return run_captured(argv, timeout, {}, nullptr, user);
}

RunResult run_command_with_input(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 std::string_view input) {
  return run_captured(argv, timeout, {}, &input);
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

}  // namespace alfs
