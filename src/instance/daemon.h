// The instance's process tree: the supervisor runs as a daemon (double fork, new
// session), and under sudo a root parent waits for it to clean up what the user may not.
#pragma once

#include <memory>

#include "common/fd.h"
#include "instance/supervisor.h"
#include "vm/vm_backend.h"

namespace alfs {

// Starts run_supervisor(plan, backend, present_on_host) as a daemon, its stdout and
// stderr to `log` (capped by a LogKeeper); under plan.drop_privileges it runs as the
// user, and a root parent waits for it, then removes the mount point root made and a
// FUSE mount a killed instance left. Returns in the calling process only, with the
// write end of `report` closed there.
void start_supervisor(SupervisorPlan plan, std::unique_ptr<vm::VmBackend> backend, Pipe& report, UniqueFd log);

}  // namespace alfs
