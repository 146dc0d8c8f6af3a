#include "vm/qemu.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.h"
#include "vm/kernel_params.h"

namespace alfs::vm {
namespace {

VmSpec spec() {
  VmSpec s;
  s.name = "anylinuxfs-test";
  s.kernel = "/img/vmlinuz";
  s.initrd = "/img/initrd.img";
  s.rootfs = "/img/rootfs.img";
  s.root_label = "alfs-guest-root";
  s.disks = {{"/data/a.img", false, "raw"}, {"/data/b.qcow2", true, "qcow2"}};
  s.control_socket = "/run/i/control.sock";
  s.console_fd = 9;
  s.forwards = {{"127.0.0.1", 40001, 2049}, {"127.0.0.1", 40002, 20048}};
  return s;
}

// The value following `flag` at its n-th occurrence.
std::vector<std::string> values_of(const std::vector<std::string>& argv, const std::string& flag) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) out.push_back(argv[i + 1]);
  return out;
}

constexpr HostFacts kMacArm64{0, HostArch::kArm64, HostOs::kMacos};

TEST(QemuCommandLine, DataDisksInOrderThenTheReadOnlyRoot) {
  auto drives = values_of(QemuBackend::command_line(spec(), {}), "-drive");
  ASSERT_EQ(drives.size(), 3u);
  EXPECT_EQ(drives[0], "file=/data/a.img,format=raw,if=none,id=disk0,cache=writeback");
  EXPECT_EQ(drives[1], "file=/data/b.qcow2,format=qcow2,if=none,id=disk1,cache=writeback,readonly=on");
  EXPECT_EQ(drives[2], "file=/img/rootfs.img,format=raw,if=none,id=disk2,cache=writeback,readonly=on");
}

// The forwards are streams over a port beside the control socket (vm/stream_forwards.h):
// the guest gets no network device, so it reaches nothing.
TEST(QemuCommandLine, ForwardsGoOverAPortNotANetworkDevice) {
  EXPECT_EQ(QemuBackend::link_socket(spec()), "/run/i/net.sock");
  auto argv = QemuBackend::command_line(spec(), {});
  EXPECT_TRUE(values_of(argv, "-netdev").empty());
  auto chardevs = values_of(argv, "-chardev");
  EXPECT_NE(chardevs.end(), std::find(chardevs.begin(), chardevs.end(),
                                      "socket,id=net,server=on,wait=off,path=" + QemuBackend::link_socket(spec())));
  auto devices = values_of(argv, "-device");
  EXPECT_NE(devices.end(), std::find(devices.begin(), devices.end(), "virtserialport,chardev=net,name=anylinuxfs.net"));
}

TEST(QemuCommandLine, NoForwardsMeansNoStreamPort) {
  VmSpec s = spec();
  s.forwards.clear();
  auto devices = values_of(QemuBackend::command_line(s, {}), "-device");
  EXPECT_EQ(devices.end(), std::find(devices.begin(), devices.end(), "virtserialport,chardev=net,name=anylinuxfs.net"));
}

// A panicking microvm guest must take QEMU with it (-no-reboot): only a triple fault resets it.
TEST(QemuCommandLine, X86GuestRebootsByTripleFault) {
  auto argv = QemuBackend::command_line(spec(), {});
  EXPECT_NE(argv.end(), std::find(argv.begin(), argv.end(), "-no-reboot"));
  std::string append = values_of(argv, "-append").at(0);
  EXPECT_NE(append.find(" panic=-1 "), std::string::npos);
  EXPECT_NE(append.find(" reboot=t"), std::string::npos);
}

// A guest that takes QEMU over is held by seccomp: no exec, no setuid, nothing obsolete.
TEST(QemuCommandLine, LinuxHostsSandboxQemu) {
  auto linux_argv = QemuBackend::command_line(spec(), {});
  EXPECT_EQ(values_of(linux_argv, "-sandbox"),
            std::vector<std::string>{"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"});
  EXPECT_TRUE(values_of(QemuBackend::command_line(spec(), kMacArm64), "-sandbox").empty());  // no seccomp there
}

// The console goes to the fd it was given (a log keeper's pipe), never to a path QEMU opens.
TEST(QemuCommandLine, TheConsoleIsTheFdItWasGiven) {
  auto argv = QemuBackend::command_line(spec(), {});
  EXPECT_EQ(values_of(argv, "-add-fd").at(0), "fd=9,set=0,opaque=console");
  EXPECT_EQ(values_of(argv, "-chardev").at(0), "file,id=console,path=/dev/fdset/0,append=on");
}

TEST(QemuBackendStart, RunningAsAUserNeedsEveryDiskAsAnFd) {
  VmSpec s = spec();
  s.user = UserIdentity{1000, 1000, {1000}};
  QemuBackend backend;
  try {
    backend.start(s, 2);
    FAIL() << "started";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "QEMU runs as uid 1000: /data/a.img must come as an fd");
  }
}

// Both backends boot with the same parameters, the initcalls the guest skips among them.
TEST(QemuCommandLine, BootsWithTheSharedKernelParameters) {
  std::string append = values_of(QemuBackend::command_line(spec(), {}), "-append").at(0);
  EXPECT_EQ(append.rfind("console=ttyS0 " + guest_kernel_parameters("alfs-guest-root") + " ", 0), 0u) << append;
  EXPECT_NE(append.find(" initcall_blacklist=bpf_tcp_ca_kfunc_init,"), std::string::npos);
}

// [vm] log_level sets the guest kernel's console level; info is the loglevel=4 of old.
TEST(QemuCommandLine, TheLogLevelSetsTheKernelConsoleLevel) {
  auto append_of = [](LogLevel level) {
    VmSpec s = spec();
    s.log_level = level;
    return values_of(QemuBackend::command_line(s, {}), "-append").at(0);
  };
  EXPECT_NE(append_of(LogLevel::kInfo).find(" quiet loglevel=4 "), std::string::npos) << append_of(LogLevel::kInfo);
  EXPECT_NE(append_of(LogLevel::kError).find(" loglevel=3 "), std::string::npos);
  EXPECT_NE(append_of(LogLevel::kDebug).find(" loglevel=7 "), std::string::npos);
  EXPECT_NE(append_of(LogLevel::kTrace).find(" loglevel=8 "), std::string::npos);
  EXPECT_EQ(append_of(LogLevel::kTrace).find("loglevel=4"), std::string::npos);
}

TEST(QemuCommandLine, TcgGetsTheCpuAndTscWorkarounds) {
  auto argv = QemuBackend::command_line(spec(), HostFacts{2596124});
  EXPECT_EQ(values_of(argv, "-accel"), std::vector<std::string>{"tcg,thread=multi"});
  EXPECT_EQ(values_of(argv, "-cpu"), std::vector<std::string>{"max,-cx16,-erms,-fsrm"});
  std::string append = values_of(argv, "-append").at(0);
  EXPECT_NE(append.find("tsc_early_khz=2596124"), std::string::npos);
  EXPECT_NE(append.find("alfs_root=LABEL=alfs-guest-root"), std::string::npos);
}

TEST(QemuCommandLine, KvmUsesTheHostCpuAndNoTscOverride) {
  VmSpec s = spec();
  s.accel = Accel::kKvm;
  auto argv = QemuBackend::command_line(s, HostFacts{2596124});
  EXPECT_EQ(values_of(argv, "-accel"), std::vector<std::string>{"kvm"});
  EXPECT_EQ(values_of(argv, "-cpu"), std::vector<std::string>{"host"});
  EXPECT_EQ(values_of(argv, "-append").at(0).find("tsc_early_khz"), std::string::npos);
}

// Everything before the console's fd: binary, machine, accelerator, CPU, kernel.
std::vector<std::string> head(const std::vector<std::string>& argv) {
  return {argv.begin(), std::find(argv.begin(), argv.end(), "-add-fd")};
}

TEST(QemuCommandLine, MacArm64UsesVirtWithHvfAndThePl011Console) {
  VmSpec s = spec();
  s.kernel = "/img/Image";
  s.accel = Accel::kHvf;
  EXPECT_EQ(head(QemuBackend::command_line(s, kMacArm64)),
            (std::vector<std::string>{"qemu-system-aarch64",
                                      "-name",
                                      "anylinuxfs-test",
                                      "-M",
                                      "virt",
                                      "-accel",
                                      "hvf",
                                      "-cpu",
                                      "host",
                                      "-m",
                                      "512",
                                      "-smp",
                                      "1",
                                      "-nodefaults",
                                      "-no-user-config",
                                      "-display",
                                      "none",
                                      "-no-reboot",
                                      "-kernel",
                                      "/img/Image",
                                      "-initrd",
                                      "/img/initrd.img",
                                      "-append",
                                      "console=ttyAMA0 " + guest_kernel_parameters("alfs-guest-root")}));
}

TEST(QemuCommandLine, Arm64UsesTheSameVirtioMmioDevicesAsX86) {
  VmSpec s = spec();
  s.accel = Accel::kHvf;
  s.exec_socket = "/run/i/exec.sock";
  s.terminal = true;
  auto arm = QemuBackend::command_line(s, kMacArm64);
  s.accel = Accel::kKvm;
  auto x86 = QemuBackend::command_line(s, {});
  EXPECT_EQ(values_of(arm, "-device"), values_of(x86, "-device"));
  EXPECT_EQ(values_of(arm, "-drive"), values_of(x86, "-drive"));
  EXPECT_EQ(values_of(arm, "-chardev"), values_of(x86, "-chardev"));
  EXPECT_EQ(values_of(arm, "-netdev"), values_of(x86, "-netdev"));
  EXPECT_EQ(values_of(arm, "-device").at(0), "virtio-blk-device,drive=disk0");
}

TEST(QemuCommandLine, Arm64TcgHasNoX86Workarounds) {
  HostFacts linux_arm64{2000000, HostArch::kArm64, HostOs::kLinux};
  auto argv = QemuBackend::command_line(spec(), linux_arm64);
  EXPECT_EQ(argv.at(0), "qemu-system-aarch64");
  EXPECT_EQ(values_of(argv, "-accel"), std::vector<std::string>{"tcg,thread=multi"});
  EXPECT_EQ(values_of(argv, "-cpu"), std::vector<std::string>{"max"});
  EXPECT_EQ(values_of(argv, "-append").at(0).find("tsc_early_khz"), std::string::npos);
}

TEST(QemuCommandLine, X86_64HostsKeepMicrovmAndTheSerialConsole) {
  for (Accel accel : {Accel::kTcg, Accel::kKvm}) {
    VmSpec s = spec();
    s.accel = accel;
    auto argv = QemuBackend::command_line(s, HostFacts{2596124});
    EXPECT_EQ(std::vector<std::string>(argv.begin(), argv.begin() + 5),
              (std::vector<std::string>{"qemu-system-x86_64", "-name", "anylinuxfs-test", "-M",
                                        "microvm,x-option-roms=off"}));
    EXPECT_EQ(values_of(argv, "-append").at(0).rfind("console=ttyS0 ", 0), 0u);
  }
}

TEST(HostFacts, FromUname) {
  HostFacts mac = host_facts_from_uname("Darwin", "arm64");
  EXPECT_EQ(mac.os, HostOs::kMacos);
  EXPECT_EQ(mac.arch, HostArch::kArm64);
  HostFacts linux_arm = host_facts_from_uname("Linux", "aarch64");
  EXPECT_EQ(linux_arm.os, HostOs::kLinux);
  EXPECT_EQ(linux_arm.arch, HostArch::kArm64);
  HostFacts pc = host_facts_from_uname("Linux", "x86_64");
  EXPECT_EQ(pc.os, HostOs::kLinux);
  EXPECT_EQ(pc.arch, HostArch::kX86_64);
  EXPECT_THROW(host_facts_from_uname("Linux", "riscv64"), Error);
  EXPECT_THROW(host_facts_from_uname("FreeBSD", "amd64"), Error);
}

TEST(HostFacts, ThisHostIsKnown) { EXPECT_NO_THROW(read_host_facts()); }

TEST(QemuCommandLine, ControlChannelIsANamedVirtioSerialPort) {
  auto argv = QemuBackend::command_line(spec(), {});
  auto chardevs = values_of(argv, "-chardev");
  EXPECT_NE(std::find(chardevs.begin(), chardevs.end(), "socket,id=control,path=/run/i/control.sock"), chardevs.end());
  auto devices = values_of(argv, "-device");
  EXPECT_NE(std::find(devices.begin(), devices.end(), "virtserialport,chardev=control,name=anylinuxfs.control"),
            devices.end());
}

TEST(QemuCommandLine, ExecPortIsAListeningSocketOnlyWhenAsked) {
  VmSpec s = spec();
  EXPECT_EQ(values_of(QemuBackend::command_line(s, {}), "-chardev").size(), 3u);  // console, control, net
  s.exec_socket = "/run/i/exec.sock";
  auto argv = QemuBackend::command_line(s, {});
  auto chardevs = values_of(argv, "-chardev");
  EXPECT_NE(std::find(chardevs.begin(), chardevs.end(), "socket,id=exec,server=on,wait=off,path=/run/i/exec.sock"),
            chardevs.end());
  auto devices = values_of(argv, "-device");
  EXPECT_NE(std::find(devices.begin(), devices.end(), "virtserialport,chardev=exec,name=anylinuxfs.exec"),
            devices.end());
}

TEST(QemuCommandLine, ADiskOpenedByTheCallerIsPassedAsAnFdSet) {
  VmSpec s = spec();
  s.disks[1].fds = {7, 8};
  auto argv = QemuBackend::command_line(s, {});
  EXPECT_EQ(
      values_of(argv, "-add-fd"),
      (std::vector<std::string>{"fd=9,set=0,opaque=console", "fd=7,set=2,opaque=disk1", "fd=8,set=2,opaque=disk1"}));
  auto drives = values_of(argv, "-drive");
  EXPECT_EQ(drives[0], "file=/data/a.img,format=raw,if=none,id=disk0,cache=writeback");
  EXPECT_EQ(drives[1], "file=/dev/fdset/2,format=qcow2,if=none,id=disk1,cache=writeback,readonly=on");
  s.disks[1].block_device = true;
  EXPECT_EQ(
      values_of(QemuBackend::command_line(s, {}), "-drive")[1],
      "file.driver=host_device,file.filename=/dev/fdset/2,format=qcow2,if=none,id=disk1,cache=writeback,readonly=on");
}

TEST(QemuCommandLine, TerminalIsAVirtioConsoleOnStdio) {
  VmSpec s = spec();
  EXPECT_EQ(values_of(QemuBackend::command_line(s, {}), "-chardev").size(), 3u);  // console, control, net
  s.terminal = true;
  auto argv = QemuBackend::command_line(s, {});
  auto chardevs = values_of(argv, "-chardev");
  EXPECT_NE(std::find(chardevs.begin(), chardevs.end(), "stdio,id=terminal,signal=off"), chardevs.end());
  auto devices = values_of(argv, "-device");
  EXPECT_NE(std::find(devices.begin(), devices.end(), "virtconsole,chardev=terminal"), devices.end());
}

TEST(QemuCommandLine, EscapesACommaInADiskPath) {
  VmSpec s = spec();
  s.disks[0].path = "/data/a,b.img";
  EXPECT_EQ(values_of(QemuBackend::command_line(s, {}), "-drive").at(0),
            "file=/data/a,,b.img,format=raw,if=none,id=disk0,cache=writeback");
}

}  // namespace
}  // namespace alfs::vm

namespace alfs::vm {
namespace {

// A template and its restores must have the same devices in the same order (the saved
// state names them by position); a restore leaves the data disks to the hot-plug.
TEST(QemuCommandLine, ARestoreHasTheTemplatesDevicesAndItsDisksOnlyAsFds) {
  VmSpec made = spec();
  made.disks.clear();
  made.forwards.clear();
  made.snapshot = {"/run/i/qmp.sock", false, -1};
  VmSpec restored = spec();
  restored.disks[0].fds = {11, 12};
  restored.snapshot = {"/run/i/qmp.sock", true, 13};
  auto a = QemuBackend::command_line(made, {});
  auto b = QemuBackend::command_line(restored, {});
  EXPECT_EQ(values_of(a, "-device"), values_of(b, "-device"));
  EXPECT_EQ(values_of(a, "-drive"), values_of(b, "-drive"));
  EXPECT_EQ(values_of(b, "-drive"),
            std::vector<std::string>{"file=/img/rootfs.img,format=raw,if=none,id=disk0,cache=writeback,readonly=on"});
  // The RAM comes in the state: plain anonymous memory, as a cold boot's (which gets
  // transparent huge pages; a file mapped copy-on-write read and wrote 0.6-0.8x as fast).
  EXPECT_TRUE(values_of(b, "-object").empty());
  EXPECT_EQ(values_of(a, "-M"), values_of(b, "-M"));
  EXPECT_EQ(values_of(b, "-m"), std::vector<std::string>{"512"});
  EXPECT_EQ(values_of(b, "-incoming"), std::vector<std::string>{"defer"});
  // Its kernel is in the saved RAM, not loaded again.
  EXPECT_EQ(values_of(a, "-kernel"), std::vector<std::string>{"/img/vmlinuz"});
  EXPECT_TRUE(values_of(b, "-kernel").empty());
  EXPECT_TRUE(values_of(b, "-initrd").empty());
  EXPECT_TRUE(values_of(b, "-append").empty());
  EXPECT_TRUE(values_of(a, "-incoming").empty());
  auto fds = values_of(b, "-add-fd");
  EXPECT_NE(std::find(fds.begin(), fds.end(), "fd=11,set=1"), fds.end());
  EXPECT_NE(std::find(fds.begin(), fds.end(), "fd=12,set=1"), fds.end());
  EXPECT_EQ(values_of(b, "-mon"), std::vector<std::string>{"chardev=qmp,mode=control"});
}

}  // namespace
}  // namespace alfs::vm
