// Child processes: spawned without a shell, owned by RAII, waited with deadlines.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace alfs {

// A user as a process runs as: ids and supplementary groups (host/privileges.h makes one).
struct UserIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

struct SpawnOptions {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH
  std::vector<std::string> extra_env;  // NAME=value added to the inherited environment
  int stdin_fd = -1;                   // -1: /dev/null
  int stdout_fd = -1;                  // -1: inherit
  int stderr_fd = -1;                  // -1: inherit
  bool new_session = false;            // setsid() in the child
  std::vector<int> inherit_fds;        // open in the child under the same numbers (O_CLOEXEC lifted)
  std::optional<UserIdentity> user;    // the child becomes this user before exec (we must be root)
};

// Exit status as a shell reports it: the exit code, or 128 + signal number.
struct ExitStatus {
  int raw = 0;
  bool exited() const;
  int code() const;
  std::string describe() const;  // "exit code 3", "killed by signal 9"
};

class Process {
 public:
  Process() = default;
  explicit Process(pid_t pid) : pid_(pid) {}
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // A child still running when its owner goes away is killed and reaped.
  ~Process();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  // Waits up to `timeout`; returns the status once the child has exited.
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // Waits as long as it takes: only for a child whose duration is the user's own
  // (an interactive shell). Everything else uses wait_for.
  ExitStatus wait();
  // Non-blocking check.
  std::optional<ExitStatus> poll();
  void signal(int sig) const;
  // SIGTERM, wait up to `grace`, then SIGKILL; always reaps.
  ExitStatus terminate(std::chrono::milliseconds grace);
  // Gives up ownership (the child keeps running and is not reaped by us).
  pid_t release();

 private:
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

// Throws SystemError when fork/exec fails (exec failure is reported from the child).
Process spawn(const SpawnOptions& options);

struct RunResult {
  ExitStatus status;
  std::string output;  // stdout and stderr interleaved
  bool ok() const { return status.exited() && status.code() == 0; }
};

// Runs a command to completion, capturing its output; kills it at the deadline
// and throws Error("<argv0> timed out after N s").
RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                      const std::vector<std::string>& extra_env = {});

// The same as `user` when given (root running a tool for the user it acts for), else as ourselves.
RunResult run_command_as(const std::optional<UserIdentity>& user, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout);

// The same, with `input` written to the command's stdin (then closed): how a secret
// reaches a tool without appearing in any argv or environment.
RunResult run_command_with_input(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 std::string_view input);

// The first executable `name` in $PATH's directories, or "" (no PATH: /usr/bin, /bin).
std::string find_on_path(const std::string& name);

// "a b 'c d'" for logs and messages.
std::string join_argv(const std::vector<std::string>& argv);

}  // namespace alfs
