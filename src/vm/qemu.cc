#include "vm/qemu.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/guest_arch.h"
#include "common/protocol.h"
#include "vm/kernel_params.h"

namespace alfs::vm {

std::string to_string(Accel accel) {
  switch (accel) {
    case Accel::kKvm:
      return "kvm";
    case Accel::kHvf:
      return "hvf";
    case Accel::kTcg:
      break;
  }
  return "tcg";
}

HostFacts host_facts_from_uname(std::string_view sysname, std::string_view machine) {
  HostFacts facts;
  if (sysname == "Darwin") {
    facts.os = HostOs::kMacos;
  } else if (sysname != "Linux") {
    throw Error("unsupported host OS " + std::string(sysname) + ": anylinuxfs runs on Linux and macOS");
  }
  // Linux says aarch64 where macOS says arm64.
  if (machine == "aarch64" || machine == "arm64") {
    facts.arch = HostArch::kArm64;
  } else if (machine != "x86_64") {
    throw Error("unsupported host architecture " + std::string(machine) +
                ": the guest image exists for x86_64 and arm64");
  }
  return facts;
}

HostFacts read_host_facts() {
  utsname names{};
  if (::uname(&names) != 0) throw SystemError("uname");
  HostFacts facts = host_facts_from_uname(names.sysname, names.machine);
  GuestArch guest = guest_arch_for(names.machine, std::getenv("ALFS_GUEST_ARCH"));
  facts.arch = guest.name == "aarch64" ? HostArch::kArm64 : HostArch::kX86_64;
  facts.foreign_guest = guest.foreign;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) facts.cpu_khz = static_cast<long>(std::stod(line.substr(colon + 1)) * 1000);
      break;
    }
  }
  return facts;
}

namespace {
// QEMU option values separate keys with ','; a literal comma is written twice.
std::string qemu_escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}
}  // namespace

std::string serial_console(const HostFacts& host) {
  // The 16550 of microvm, the PL011 of virt.
  return host.arch == HostArch::kArm64 ? "ttyAMA0" : "ttyS0";
}

std::string machine_kernel_parameters(const HostFacts& host, Accel accel) {
  if (host.arch == HostArch::kArm64) return "";
  // microvm has no reset register or keyboard controller, so a reboot's default tries end in
  // a jump to the BIOS that spins forever (1 panic in 3 here); a triple fault resets at once.
  std::string params = " reboot=t";
  // Under TCG an x86 kernel cannot always calibrate the TSC against the PIT (1 boot in 4 hung).
  if (accel == Accel::kTcg && host.cpu_khz > 0) params += " tsc_early_khz=" + std::to_string(host.cpu_khz);
  return params;
}

std::string QemuBackend::kernel_command_line(const VmSpec& spec, const HostFacts& host) {
  // panic=-1 (guest_kernel_parameters) reboots at once on a guest panic, and -no-reboot
  // turns that into QEMU exiting.
  return "console=" + serial_console(host) + " " + guest_kernel_parameters(spec.root_label, spec.log_level) +
         machine_kernel_parameters(host, spec.accel);
}

std::string QemuBackend::network_clients() const { return protocol::kGuestNetworkClientAddress; }

std::string QemuBackend::describe(const VmSpec& spec) const { return join_argv(command_line(spec, read_host_facts())); }

std::string qemu_binary(const HostFacts& host) {
  return host.arch == HostArch::kArm64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
}

std::vector<std::string> machine_arguments(const HostFacts& host, Accel accel, bool packaged_kernel) {
  bool arm64 = host.arch == HostArch::kArm64;
  // The image's x86 kernel is an ELF with a PVH entry, which needs no firmware to boot;
  // Debian's bzImage needs microvm's option ROM.
  std::vector<std::string> a = {"-M", arm64 ? "virt" : packaged_kernel ? "microvm" : "microvm,x-option-roms=off"};
  if (accel == Accel::kTcg) {
    // The 6.12 x86 kernel double-faults on cmpxchg16b under TCG. Without ERMS and FSRM
    // the guest's memcpy and copies to and from user space use plain 8-byte moves: TCG
    // runs `rep movsb` a byte per iteration (NFS reads +25 %, mount -> ready -0.4 s here).
    a.insert(a.end(), {"-accel", "tcg,thread=multi", "-cpu", arm64 ? "max" : "max,-cx16,-erms,-fsrm"});
  } else {
    a.insert(a.end(), {"-accel", to_string(accel), "-cpu", "host"});
  }
  return a;
}

std::vector<std::string> sandbox_arguments(const HostFacts& host) {
  // A guest that takes QEMU over gets no system call QEMU itself does not need: no exec,
  // no setuid, no new privileges (seccomp; Linux only, and free: no slower mount).
  if (host.os != HostOs::kLinux) return {};
  return {"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"};
}

std::vector<std::string> QemuBackend::command_line(const VmSpec& spec, const HostFacts& host) {
  // virt has virtio-mmio transports as microvm does, so the devices below are the same.
  const Snapshot& snap = spec.snapshot;
  bool snapshot = !snap.qmp_socket.empty();
  std::vector<std::string> a = {qemu_binary(host), "-name", spec.name};
  for (auto& arg : machine_arguments(host, spec.accel)) a.push_back(std::move(arg));
  a.insert(a.end(), {"-m", std::to_string(spec.ram_mib), "-smp", std::to_string(spec.vcpus), "-nodefaults",
                     "-no-user-config", "-display", "none", "-no-reboot"});
  for (auto& arg : sandbox_arguments(host)) a.push_back(std::move(arg));
  // A restored guest's kernel and initrd are in its saved RAM: loading them again would
  // read 60 MB of files for nothing, and would put the kernel's bytes where the saved
  // state, which leaves out the zero pages, expects zeros (vm/migration_stream.h).
  if (!snap.restore)
    a.insert(a.end(), {"-kernel", spec.kernel, "-initrd", spec.initrd, "-append", kernel_command_line(spec, host)});
  // The console's fd as a set of its own (0; the disks' are 1, 2, ...): QEMU dups it, where
  // reopening /dev/fd/N would need the pipe's owner (root) when QEMU runs as the user.
  // append=on: QEMU refuses to truncate an fd it dups.
  a.insert(a.end(), {"-add-fd", "fd=" + std::to_string(spec.console_fd) + ",set=0,opaque=console", "-chardev",
                     "file,id=console,path=/dev/fdset/0,append=on", "-serial", "chardev:console"});

  // Data disks first so they are /dev/vda, /dev/vdb, ... in the user's order; the root last.
  int index = 0;
  auto add_disk = [&](const DiskAttachment& d) {
    std::string id = "disk" + std::to_string(index++);
    std::string file = "file=" + qemu_escape(d.path);
    if (!d.fds.empty()) {
      // Opened by our caller (root under sudo): QEMU, running as the user, gets the fds
      // and dups the one whose access mode it asks for. The name tells it nothing of a
      // block device: its driver is named.
      std::string set = std::to_string(index);
      for (int fd : d.fds) a.insert(a.end(), {"-add-fd", "fd=" + std::to_string(fd) + ",set=" + set + ",opaque=" + id});
      file = (d.block_device ? "file.driver=host_device,file.filename=" : "file=") + ("/dev/fdset/" + set);
    }
    std::string drive = file + ",format=" + d.format + ",if=none,id=" + id + ",cache=writeback";
    if (d.read_only) drive += ",readonly=on";
    a.insert(a.end(), {"-drive", drive, "-device", "virtio-blk-device,drive=" + id});
  };
  if (!snapshot) {
    for (const auto& d : spec.disks) add_disk(d);
  } else {
    // A restore hot-plugs them (instance/guest_template.h): here only their fds, sets 1, 2, ...
    for (const auto& d : spec.disks) {
      std::string set = std::to_string(++index);
      for (int fd : d.fds) a.insert(a.end(), {"-add-fd", "fd=" + std::to_string(fd) + ",set=" + set});
    }
    index = 0;
  }
  add_disk({spec.rootfs, true, "raw"});
  // Its transport comes after the root's, in the template as in every restore of it.
  if (snapshot) a.insert(a.end(), {"-device", "virtio-scsi-device,id=scsi"});

  a.insert(a.end(),
           {"-chardev", "socket,id=control,path=" + qemu_escape(spec.control_socket), "-device", "virtio-serial-device",
            "-device", std::string("virtserialport,chardev=control,name=") + protocol::kPortName});
  if (!spec.exec_socket.empty()) {
    // QEMU listens; one `vm exec` or `vm attach` client at a time, the next waits in the backlog.
    a.insert(a.end(), {"-chardev", "socket,id=exec,server=on,wait=off,path=" + qemu_escape(spec.exec_socket), "-device",
                       std::string("virtserialport,chardev=exec,name=") + protocol::kExecPortName});
  }

  if (spec.terminal) {
    // signal=off: Ctrl-C goes to the guest's shell, not to QEMU.
    a.insert(a.end(), {"-chardev", "stdio,id=terminal,signal=off", "-device", "virtconsole,chardev=terminal"});
  }

  // A template has the port whether or not its restores will forward.
  if (!spec.forwards.empty() || snapshot) {
    // No network device: the forwards are streams over this port (vm/stream_forwards.h),
    // so the guest reaches nothing, and nothing but the forwards reaches it.
    a.insert(a.end(), {"-chardev", "socket,id=net,server=on,wait=off,path=" + qemu_escape(link_socket(spec)), "-device",
                       std::string("virtserialport,chardev=net,name=") + protocol::kNetPortName});
  }
  if (snapshot) {
    a.insert(a.end(),
             {"-chardev", "socket,id=qmp,path=" + qemu_escape(snap.qmp_socket), "-mon", "chardev=qmp,mode=control"});
    if (snap.restore) a.insert(a.end(), {"-incoming", "defer"});
  }
  return a;
}

std::string QemuBackend::link_socket(const VmSpec& spec) {
  return std::filesystem::path(spec.control_socket).parent_path() / "net.sock";
}

Process QemuBackend::start(const VmSpec& spec, int log_fd) {
  SpawnOptions opts;
  opts.argv = command_line(spec, read_host_facts());
  opts.stdin_fd = spec.terminal ? STDIN_FILENO : -1;
  opts.stdout_fd = spec.terminal ? STDOUT_FILENO : log_fd;
  opts.stderr_fd = log_fd;
  for (const auto& d : spec.disks) opts.inherit_fds.insert(opts.inherit_fds.end(), d.fds.begin(), d.fds.end());
  opts.inherit_fds.push_back(spec.console_fd);
  if (spec.snapshot.state_fd >= 0) opts.inherit_fds.push_back(spec.snapshot.state_fd);
  if (spec.user) {
    for (const auto& d : spec.disks)
      if (d.fds.empty())
        throw Error("QEMU runs as uid " + std::to_string(spec.user->uid) + ": " + d.path + " must come as an fd");
    opts.user = spec.user;
  }
  // The listeners first: a port taken since it was picked fails here, before any VM.
  if (!spec.forwards.empty()) forwards_.emplace(spec.forwards, spec.access);
  Process vm = spawn(opts);
  if (forwards_) forwards_->start(link_socket(spec), std::chrono::seconds(30), log_fd);
  return vm;
}

}  // namespace alfs::vm
