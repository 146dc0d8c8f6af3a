// The background process of one instance (the "concierge" of one VM): boots the
// VM, hands the guest its mount request, presents the export at the mount point,
// and when the mount point is unmounted (or on `stop`) shuts the guest down
// cleanly, escalating to SIGTERM/SIGKILL of QEMU only past deadlines.
#pragma once

#include "common/fd.h"
#include "common/protocol.h"
#include "host/guest_image.h"
#include "host/instance.h"
#include "vm/vm_backend.h"

namespace alfs {

struct SupervisorPlan {
  InstanceRecord record;  // id, disk, mount point, fstype, logs (ports and pids are filled in here)
  std::string instance_dir;
  std::string instances_dir;
  vm::VmSpec vm;          // image, disks, ram, vcpus, accel (socket, console and forwards are filled in here)
  protocol::MountRequest request;
  bool allow_other = false;
  std::string bind_address = "127.0.0.1";  // -b: where the NFS forwards listen
  std::vector<UniqueFd> disk_locks;  // held for the instance's life (see host/disk_lock.h)
};

// Messages on the report pipe to the waiting `mount` command, one per line.
inline constexpr const char* kReportProgress = "progress ";
inline constexpr const char* kReportWarning = "warning ";
inline constexpr const char* kReportReady = "ready ";
inline constexpr const char* kReportError = "error ";

// Runs to the end of the instance; returns the process exit code. `report` is
// closed once the mount is ready or has failed.
int run_supervisor(SupervisorPlan plan, UniqueFd report);

}  // namespace alfs
