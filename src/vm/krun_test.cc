// KrunBackend against fake libkrun builds (fake_libkrun.cc) that record every call: the
// exact call sequence libkrun would see for each kind of VM.
#include "vm/krun.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"
#include "vm/backends.h"
#include "vm/boot.h"
#include "vm/kernel_params.h"

namespace alfs::vm {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Sets (or, with nullopt, unsets) an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// An x86 bzImage as far as its setup header goes: the payload, after the setup sectors
// and the header's payload_offset, starts with `magic`.
std::string bzimage(unsigned char setup_sectors, uint32_t payload_offset, const std::string& magic) {
  unsigned sectors = setup_sectors == 0 ? 4 : setup_sectors;  // 0 means 4
  std::string image((sectors + 1) * 512 + payload_offset, '\0');
  image[0] = 'M';
  image[1] = 'Z';
  image[0x1f1] = static_cast<char>(setup_sectors);
  image.replace(0x202, 4, "HdrS");
  for (int i = 0; i < 4; ++i) image[0x248 + i] = static_cast<char>(payload_offset >> (8 * i));
  return image + magic + std::string(64, '\0');
}

const std::string kZstd = "\x28\xb5\x2f\xfd";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0, nl;
  while ((nl = text.find('\n', pos)) != std::string::npos) {
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

class KrunBackendWithFakeLibkrun : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file_atomic(path("vmlinuz"), bzimage(39, 0x2cc, kZstd));
    for (const char* image : {"rootfs.img", "a.img", "b.qcow2"}) write_file_atomic(path(image), "");
    spec.name = "anylinuxfs-test";
    spec.kernel = path("vmlinuz");
    spec.initrd = path("initrd.img");
    spec.rootfs = path("rootfs.img");
    spec.root_label = "alfs-root";
    spec.control_socket = path("control.sock");
    console = open_file(path("console.log"), O_WRONLY | O_CREAT | O_TRUNC);
    spec.console_fd = console.get();
    log = open_file(path("vm.log"), O_WRONLY | O_CREAT | O_TRUNC);
  }

  std::string path(const std::string& name) const { return dir.file(name); }

  // A mount's VM as the supervisor specifies it: `vm exec` socket and the two NFS forwards.
  void as_a_mount() {
    spec.exec_socket = path("exec.sock");
    spec.forwards = {{"127.0.0.1", 40001, 2049}, {"127.0.0.1", 40002, 20048}};
  }

  // Starts the VM; once the child has exited with `exit_code`, the calls it made.
  std::vector<std::string> run(int exit_code = 0) {
    KrunBackend backend(FAKE_LIBKRUN);
    Process vm = backend.start(spec, log.get());
    auto status = vm.wait_for(10s);
    EXPECT_TRUE(status && status->exited() && status->code() == exit_code)
        << (status ? status->describe() : "still running") << "; log: " << read_file(path("vm.log"));
    return lines_of(read_file(path("record")));
  }

  std::string kernel_call() const {
    return "krun_set_kernel(7, \"" + path("vmlinuz") + "\", 5, \"" + path("initrd.img") + "\", \"console=hvc0 " +
           guest_kernel_parameters("alfs-root") +
           " alfs.channel=vsock "
           "alfs.net=192.168.127.2/24,192.168.127.1\")";
  }
  std::string root_call() const { return "krun_add_disk2(7, \"root\", \"" + path("rootfs.img") + "\", 0, true)"; }
  std::string vsock_calls_of_a_mount() const {
    return "krun_add_vsock_port2(7, 1024, \"" + path("control.sock") + "\", false)\n" +
           "krun_add_vsock_port2(7, 1025, \"" + path("exec.sock") + "\", true)\n" + "krun_add_net_unixgram(7, \"" +
           path("gvproxy.sock") + "\", -1, 52:54:00:12:34:56, 19587, 1)";
  }
  std::string console_call() const {
    return "krun_set_console_output(7, \"/dev/fd/" + std::to_string(console.get()) + "\")";
  }

  TempDir dir{"alfs-krun"};
  ScopedEnv record{"ALFS_FAKE_KRUN_RECORD", dir.file("record")};
  ScopedEnv no_failure{"ALFS_FAKE_KRUN_FAIL", std::nullopt};
  ScopedEnv gvproxy{"ALFS_GVPROXY", FAKE_GVPROXY};
  ScopedEnv gvproxy_record{"ALFS_FAKE_GVPROXY_RECORD", dir.file("gvproxy-record")};
  ScopedEnv no_hello{"ALFS_FAKE_KRUN_HELLO", std::nullopt};
  VmSpec spec;
  UniqueFd console;
  UniqueFd log;
};

TEST_F(KrunBackendWithFakeLibkrun, PlainMount) {
  as_a_mount();
  spec.disks = {{path("a.img"), false, "raw"}};
  EXPECT_THAT(run(),
              ElementsAreArray(lines_of("krun_create_ctx()\n"
                                        "krun_set_vm_config(7, 1, 512)\n" +
                                        kernel_call() + "\n" + "krun_add_disk2(7, \"disk0\", \"" + path("a.img") +
                                        "\", 0, false)\n" + root_call() + "\n" + vsock_calls_of_a_mount() + "\n" +
                                        console_call() + "\n" + "krun_start_enter(7)\n")));
}

TEST_F(KrunBackendWithFakeLibkrun, AMountsForwardsGoThroughGvproxyWhichEndsWithTheBackend) {
  as_a_mount();
  run();
  EXPECT_THAT(lines_of(read_file(path("gvproxy-record"))),
              ElementsAreArray({"argv -listen-vfkit unixgram://" + path("gvproxy.sock") + " -listen unix://" +
                                    path("gvproxy-api.sock") + " -ssh-port -1",
                                std::string(R"(POST /services/forwarder/expose HTTP/1.1 {"local":"127.0.0.1:40001",)") +
                                    R"("protocol":"tcp","remote":"192.168.127.2:2049"})",
                                std::string(R"(POST /services/forwarder/expose HTTP/1.1 {"local":"127.0.0.1:40002",)") +
                                    R"("protocol":"tcp","remote":"192.168.127.2:20048"})"}));
  EXPECT_FALSE(std::filesystem::exists(path("gvproxy-api.sock")));  // gone with the backend
}

TEST_F(KrunBackendWithFakeLibkrun, WithoutGvproxyAMountIsRefusedBeforeTheVm) {
  as_a_mount();
  ScopedEnv missing("ALFS_GVPROXY", path("no-gvproxy"));
  KrunBackend backend(FAKE_LIBKRUN);
  try {
    backend.start(spec, log.get());
    FAIL() << "started";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ALFS_GVPROXY names " + path("no-gvproxy")));
  }
  EXPECT_FALSE(std::filesystem::exists(path("record")));  // libkrun was never called
}

TEST_F(KrunBackendWithFakeLibkrun, BootListensBeforeTheVmAndTheGuestsVsockConnectionBringsTheHello) {
  as_a_mount();
  ScopedEnv hello("ALFS_FAKE_KRUN_HELLO", R"({"type":"hello","kernel":"6.12-krun"})");
  KrunBackend backend(FAKE_LIBKRUN);
  BootedVm vm = BootedVm::boot(backend, spec, log.get(), path("vm.log"), BootTimeouts{2s, 10s});
  EXPECT_EQ(vm.kernel(), "6.12-krun");
  EXPECT_THAT(lines_of(read_file(path("record"))),
              ::testing::Contains("krun_add_vsock_port2(7, 1024, \"" + path("control.sock") + "\", false)"));
}

TEST_F(KrunBackendWithFakeLibkrun, MultiDiskMountKeepsTheOrderAndFormats) {
  as_a_mount();
  spec.disks = {{path("a.img"), false, "raw"}, {path("b.qcow2"), false, "qcow2"}};
  spec.ram_mib = 2560;
  spec.vcpus = 4;
  EXPECT_THAT(run(), ElementsAreArray(lines_of(
                         "krun_create_ctx()\n"
                         "krun_set_vm_config(7, 4, 2560)\n" +
                         kernel_call() + "\n" + "krun_add_disk2(7, \"disk0\", \"" + path("a.img") + "\", 0, false)\n" +
                         "krun_add_disk2(7, \"disk1\", \"" + path("b.qcow2") + "\", 1, false)\n" + root_call() + "\n" +
                         vsock_calls_of_a_mount() + "\n" + console_call() + "\n" + "krun_start_enter(7)\n")));
}

TEST_F(KrunBackendWithFakeLibkrun, ReadOnlyMountOfADiskOpenedByRoot) {
  as_a_mount();
  // As under sudo: the disk comes as a descriptor (close-on-exec, yet the VM needs it).
  UniqueFd fd = open_file(path("a.img"), O_RDONLY);
  spec.disks = {{path("a.img"), true, "raw", {fd.get()}}};
  std::string disk = "/dev/fd/" + std::to_string(fd.get());
  EXPECT_THAT(run(), ElementsAreArray(lines_of("krun_create_ctx()\n"
                                               "krun_set_vm_config(7, 1, 512)\n" +
                                               kernel_call() + "\n" + "krun_add_disk2(7, \"disk0\", \"" + disk +
                                               "\", 0, true)\n" + root_call() + "\n" + vsock_calls_of_a_mount() + "\n" +
                                               console_call() + "\n" + "krun_start_enter(7)\n")));
}

TEST_F(KrunBackendWithFakeLibkrun, ShellVmHasNoNetworkAndItsConsoleOnTheTerminal) {
  spec.disks = {{path("a.img"), false, "raw"}};
  spec.terminal = true;
  EXPECT_THAT(run(),
              ElementsAreArray(lines_of("krun_create_ctx()\n"
                                        "krun_set_vm_config(7, 1, 512)\n" +
                                        kernel_call() + "\n" + "krun_add_disk2(7, \"disk0\", \"" + path("a.img") +
                                        "\", 0, false)\n" + root_call() + "\n" + "krun_add_vsock_port2(7, 1024, \"" +
                                        path("control.sock") + "\", false)\n" + "krun_start_enter(7)\n")));
}

TEST_F(KrunBackendWithFakeLibkrun, UnderSudoTheVmRunsAsTheUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  spec.user = UserIdentity{4321, 4322, {4322}};
  write_file_atomic(path("control.sock"), "");  // BootedVm::boot made it
  std::vector<std::string> calls = run();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls[calls.size() - 3], "krun_setgid(7, 4322)");
  EXPECT_EQ(calls[calls.size() - 2], "krun_setuid(7, 4321)");
  struct stat st;
  ASSERT_EQ(::stat(path("control.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4321u);
}

TEST_F(KrunBackendWithFakeLibkrun, AFailingCallIsInTheLogForTheBootError) {
  ScopedEnv fail("ALFS_FAKE_KRUN_FAIL", "krun_add_disk2");
  spec.disks = {{path("a.img"), false, "raw"}};
  std::vector<std::string> calls = run(1);
  EXPECT_EQ(calls.back(), "krun_add_disk2(7, \"disk0\", \"" + path("a.img") + "\", 0, false)");
  EXPECT_EQ(qemu_complaint(read_file(path("vm.log"))),
            "libkrun: krun_add_disk2 of " + path("a.img") + " failed: Invalid argument");
}

TEST_F(KrunBackendWithFakeLibkrun, ADiskFormatLibkrunLacksIsRefusedBeforeTheVm) {
  spec.disks = {{path("a.img"), false, "vmdk"}};
  KrunBackend backend(FAKE_LIBKRUN);
  EXPECT_THROW(
      try { backend.start(spec, log.get()); } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("format vmdk"));
        throw;
      },
      Error);
}

TEST(KrunBackend, AMissingLibraryIsAClearError) {
  try {
    KrunBackend backend("/nonexistent/libkrun.so.1");
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/libkrun.so.1 not found: install libkrun or use --backend qemu"));
  }
}

TEST(KrunBackend, AMissingFunctionIsNamed) {
  try {
    KrunBackend backend(FAKE_LIBKRUN_WITHOUT_NET);
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("has no krun_add_net_unixgram"));
  }
}

TEST(KrunBackend, TheLibraryComesFromTheEnvironment) {
  ScopedEnv env("ALFS_LIBKRUN", "/opt/libkrun.so.1");
  EXPECT_EQ(KrunBackend::default_library(), "/opt/libkrun.so.1");
  ScopedEnv unset("ALFS_LIBKRUN", std::nullopt);
  EXPECT_EQ(KrunBackend::default_library(), "libkrun.so.1");
}

TEST(KrunBackend, KernelFormatFromTheMagicNumbers) {
  TempDir dir("alfs-kernel");
  auto format_of = [&](const std::string& bytes) {
    write_file_atomic(dir.file("k"), bytes);
    return KrunBackend::kernel_format(dir.file("k"));
  };
  EXPECT_EQ(format_of("\x7f"
                      "ELF" +
                      std::string(0x300, '\0')),
            1u);
  EXPECT_EQ(format_of(std::string("MZ\0\0zimg", 8) + std::string(0x300, '\0')), 2u);
  EXPECT_EQ(format_of(bzimage(39, 0x2cc, kZstd)), 5u);  // Debian's 6.12 amd64 kernel is laid out so
  EXPECT_EQ(format_of(bzimage(0, 0x100, "\x1f\x8b\x08")), 4u);
  EXPECT_EQ(format_of(bzimage(30, 0x10, "BZh9")), 3u);
  EXPECT_EQ(format_of(std::string(0x300, '\x42')), 0u);  // e.g. an uncompressed arm64 Image
  EXPECT_THROW(format_of(bzimage(30, 0x10,
                                 "\xfd"
                                 "7zXZ")),
               Error);  // xz: libkrun cannot unpack it
  EXPECT_THROW(KrunBackend::kernel_format(dir.file("missing")), Error);
}

TEST(VmBackends, ByKind) {
  EXPECT_EQ(make_backend(BackendKind::kQemu)->name(), "qemu");
  {
    ScopedEnv env("ALFS_LIBKRUN", FAKE_LIBKRUN);
    EXPECT_EQ(make_backend(BackendKind::kKrun)->name(), "krun");
    // On Linux auto is QEMU, the backend the end-to-end tests prove.
    EXPECT_EQ(make_backend(BackendKind::kAuto)->name(), "qemu");
  }
  ScopedEnv env("ALFS_LIBKRUN", "/nonexistent/libkrun.so.1");
  EXPECT_THROW(make_backend(BackendKind::kKrun), Error);
  EXPECT_EQ(make_backend(BackendKind::kAuto)->name(), "qemu");
}

}  // namespace
}  // namespace alfs::vm
