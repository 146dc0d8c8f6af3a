// The background process of one instance (the "concierge" of one VM): boots the
// VM, hands the guest its mount request, presents the export at the mount point,
// and when the mount point is unmounted (or on `stop`) shuts the guest down
// cleanly, escalating to SIGTERM/SIGKILL of QEMU only past deadlines.
#pragma once

#include <chrono>
#include <memory>

#include "common/fd.h"
#include "common/log_level.h"
#include "common/protocol.h"
#include "instance/presenter.h"
#include "instance/record.h"
#include "vm/vm_backend.h"

namespace alfs {

// Deadlines: generous for TCG, where the whole boot takes 3-8 s.
struct SupervisorTimeouts {
  std::chrono::seconds mount{300};     // the mount request to the guest's "ready"
  std::chrono::seconds stop{60};       // "stop" to the guest's "stopped"
  std::chrono::seconds power_off{15};  // then until the VM exits by itself, else it is terminated
  std::chrono::seconds lost_grace{2};  // a call in flight to a lost guest, once the mount point is released
};

struct SupervisorPlan {
  InstanceRecord record;  // id, disk, mount point, fstype, logs (ports and pids are filled in here)
  std::string instance_dir;
  std::string instances_dir;
  uid_t owner_uid = 0;  // whose ~/.anylinuxfs holds them (the user who ran sudo, under sudo)
  vm::VmSpec vm;        // image, disks, ram, vcpus, accel (socket, console and forwards are filled in here)
  LogLevel log_level = LogLevel::kInfo;  // what the host log keeps ([vm] log_level, raised by -v)
  protocol::MountRequest request;
  bool allow_other = false;
  std::string bind_address = "127.0.0.1";  // -b: where the NFS forwards listen
  std::string nfs_client_options;          // -n: for the host's NFS client (checked)
  std::vector<UniqueFd> disk_locks;        // held for the instance's life (see instance/disk_lock.h)
  // Under sudo: the disks opened for the user (their fds go to QEMU), and the user the
  // instance runs as; root stays only in a process that cleans up after it.
  std::vector<UniqueFd> disk_fds;
  bool mount_point_is_roots = false;  // made by root under /mnt for the user: root removes it
  bool drop_privileges = false;
  uid_t user_uid = 0;
  gid_t user_gid = 0;
  SupervisorTimeouts timeouts;
  // Where the saved guests for instant mounts live (instance/guest_template.h), when the
  // backend can restore one; empty: every mount boots.
  std::string templates_dir;
  // What the initrd a boot needs is made of (image/boot_initrd.h): it is written into
  // instance_dir as vm.initrd only when the guest boots (a restored one has its kernel and
  // agent in its saved RAM). Empty: vm.initrd is given.
  std::string image_initrd;
  std::string agent_binary;
};

// Messages on the report pipe to the waiting `mount` command, one per line.
inline constexpr const char* kReportProgress = "progress ";
inline constexpr const char* kReportWarning = "warning ";
inline constexpr const char* kReportReady = "ready ";
inline constexpr const char* kReportError = "error ";

// Runs to the end of the instance, the VM on `backend`, the export presented by `present`;
// returns the process exit code. `report` is closed once the mount is ready or has
// failed. SIGTERM, SIGINT and SIGHUP unmount (the caller blocks them in every thread).
int supervise(SupervisorPlan plan, std::unique_ptr<vm::VmBackend> backend, PresentationFactory present,
              UniqueFd report);

// supervise() as the instance's process: blocks those signals and ignores SIGPIPE first.
int run_supervisor(SupervisorPlan plan, std::unique_ptr<vm::VmBackend> backend, PresentationFactory present,
                   UniqueFd report);

}  // namespace alfs
