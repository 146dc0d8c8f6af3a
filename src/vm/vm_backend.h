// One interface for every way of running the guest: QEMU (qemu.h), libkrun (krun.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/boot_params.h"
#include "common/log_level.h"
#include "common/process.h"
#include "vm/admission.h"

namespace alfs::vm {

enum class Accel { kTcg, kKvm, kHvf };  // kHvf: macOS Hypervisor.framework
std::string to_string(Accel accel);

struct DiskAttachment {
  std::string path;
  bool read_only = false;
  std::string format = "raw";
  // Opened by the caller (root under sudo) and passed to the VM instead of the path: one
  // per access mode the VM may open it with (read-only, and read-write unless read_only).
  std::vector<int> fds;
  bool block_device = false;  // they are a block device's (QEMU: its host_device driver)
};

struct PortForward {
  std::string host_address;  // 127.0.0.1 unless the user shares on the network
  int host_port = 0;
  int guest_port = 0;
};

// QEMU's instant mount (instance/guest_template.h): a SCSI bus that takes the user's disks
// after a restore, and the monitor (vm/qmp.h) that saves and restores the guest.
struct Snapshot {
  std::string qmp_socket;  // a listening unix socket QEMU connects its monitor to; empty: a plain boot
  // false: a template in the making; true: a restore, the guest (RAM and devices) read
  // from state_fd.
  bool restore = false;
  int state_fd = -1;  // restore: inherited
};

struct VmSpec {
  std::string name;                    // shown in ps, e.g. "anylinuxfs-disk"
  std::string kernel, initrd, rootfs;  // the guest image
  std::string root_label;              // label stage 1 mounts as root
  std::vector<DiskAttachment> disks;   // /dev/vda, /dev/vdb, ... in this order
  int ram_mib = 512;
  int vcpus = 1;
  LogLevel log_level = LogLevel::kInfo;  // the guest kernel's console (vm/kernel_params.h)
  std::string control_socket;  // listening unix socket the VM connects to (the directory also holds gvproxy's)
  // The serial console (kernel log + agent log): a pipe to a LogKeeper (common/log_keeper.h),
  // or a file, open for writing. The VM inherits it.
  int console_fd = -1;
  std::string exec_socket;            // empty: none; else a socket QEMU listens on for `vm exec`/`vm attach`
  std::vector<PortForward> forwards;  // empty: no network at all
  Access access;                      // who the forwards admit (QEMU's; gvproxy admits all it reaches)
  bool terminal = false;              // the host terminal (QEMU's stdio) on the guest's /dev/hvc0
  Accel accel = Accel::kTcg;          // QEMU's choice; libkrun always uses the hypervisor
  // Root running the VM for the user it acts for under sudo: QEMU runs as them (it needs
  // nothing of root's once the disks come as fds, and all of them must), libkrun's VMM
  // becomes them once it has opened the disks. Nothing: as ourselves.
  std::optional<UserIdentity> user;
  Snapshot snapshot;  // QEMU only
};

class VmBackend {
 public:
  virtual ~VmBackend() = default;
  virtual std::string name() const = 0;
  // Starts the VM; its own diagnostics go to `log_fd`. Throws alfs::Error.
  virtual Process start(const VmSpec& spec, int log_fd) = 0;
  // The guest's network behind this backend's forwards; its gateway is where forwards
  // from the host's loopback arrive from, the one client a default export admits.
  virtual GuestNetwork guest_network() const = 0;
  // Whether the control socket's client is the guest agent itself (vsock: libkrun
  // connects only when the agent does) rather than the VMM as it starts (QEMU).
  virtual bool guest_connects_control() const { return false; }
  // Readable once a link of the running VM to the host failed for good (QEMU: the NFS
  // forwards' stream link, vm/stream_forwards.h); -1: nothing to watch.
  virtual int failure_fd() const { return -1; }
  // The accelerator when the backend has no choice (libkrun: the hypervisor, always);
  // nothing: it runs what vm/accel.h chooses.
  virtual std::optional<Accel> fixed_accel() const { return std::nullopt; }
  // Whether its forwards admit only whom VmSpec::access names (QEMU's stream forwards);
  // false: everyone who reaches the listening port (gvproxy).
  virtual bool enforces_access() const { return false; }
  // Where a share's (-b) network clients arrive from in the guest: an exports(5) client.
  virtual std::string network_clients() const = 0;
  // Whether it runs a VmSpec's snapshot (QEMU): saves and restores for instant mounts.
  virtual bool snapshots() const { return false; }
  // The command it runs for `spec`, for the log; empty: nothing worth showing.
  virtual std::string describe(const VmSpec&) const { return ""; }
};

}  // namespace alfs::vm
