#include "instance/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/error.h"
#include "common/log_keeper.h"
#include "config/paths.h"
#include "host/mount_point.h"
#include "host/privileges.h"
#include "host/user_files.h"

namespace alfs {

namespace {

// Under sudo the instance runs as the invoking user in a child; this root process only
// waits for it and then removes what the user may not (the mount point root made,
// a FUSE mount left behind by a killed instance). Returns in the child, as the user.
void keep_root_for_cleanup(SupervisorPlan& plan, Pipe& report) {
  pid_t worker = ::fork();
  if (worker < 0) throw SystemError("fork");
  if (worker == 0) {
    become_user(plan.user_uid, plan.user_gid);
    return;
  }
  // Root outlives the instance and never talks to the guest: it holds no secret meanwhile.
  protocol::wipe_secrets(plan.request);
  report.write.reset();
  int status = 0;
  while (::waitpid(worker, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string& mp = plan.record.mount_point;
  if (plan.record.created_mount_point) {
    if (is_mount_point(mp)) fuse_unmount(mp, /*lazy=*/true);
    remove_mount_point(mp, plan.mount_point_is_roots);
  }
  std::fflush(nullptr);
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

}  // namespace

void start_supervisor(SupervisorPlan plan, std::unique_ptr<vm::VmBackend> backend, Pipe& report, UniqueFd log) {
  pid_t child = ::fork();
  if (child < 0) throw SystemError("fork");
  if (child > 0) {
    protocol::wipe_secrets(plan.request);  // the supervisor has them; we only wait for its report
    report.write.reset();
    int status;
    ::waitpid(child, &status, 0);
    return;
  }
  report.read.reset();
  ::setsid();
  pid_t grandchild = ::fork();
  if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(log.get(), STDOUT_FILENO);
  ::dup2(log.get(), STDERR_FILENO);
  if (::chdir("/") != 0) ::_exit(1);
  if (plan.drop_privileges) keep_root_for_cleanup(plan, report);  // returns in the process that becomes the user
  // The log quotes the guest at length: capped, by a keeper that outlives us (we may end
  // with _Exit or SIGKILL).
  try {
    LogKeeper keeper(std::move(log), kLogCapMib, [&plan] { protocol::wipe_secrets(plan.request); });
    ::dup2(keeper.write_fd(), STDOUT_FILENO);
    ::dup2(keeper.write_fd(), STDERR_FILENO);
    keeper.detach();
  } catch (const Error& e) {
    std::fprintf(stderr, "supervisor: %s; the log is not capped\n", e.what());
  }
  int rc = 1;
  try {
    rc = run_supervisor(std::move(plan), std::move(backend), present_on_host, std::move(report.write));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "supervisor: %s\n", e.what());
  }
  std::fflush(nullptr);
  ::_exit(rc);
}

}  // namespace alfs
