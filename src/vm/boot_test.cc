// BootedVm against a fake backend: a shell script in place of QEMU that connects to
// the control socket (or not) and says hello (or not).
#include "vm/boot.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/temp_dir.h"
#include "vm/fake_script_backend.h"

namespace alfs::vm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class BootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec.control_socket = (dir / "c.sock").string();
    log_file = (dir / "log").string();
    log = open_file(log_file, O_WRONLY | O_CREAT | O_TRUNC);
  }
  TempDir tmp{"alfs-boot"};
  fs::path dir = tmp.path();
  VmSpec spec;
  std::string log_file;
  UniqueFd log;
  BootTimeouts fast{2s, 2s};
};

const char* kConnect = "import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n";

TEST_F(BootTest, ReturnsOnHelloWithTheKernel) {
  FakeScriptBackend backend(std::string(kConnect) +
                            "s.sendall(b'{\"type\":\"hello\",\"kernel\":\"6.12-test\"}\\n')\ntime.sleep(5)\n");
  pid_t started = 0;
  BootedVm vm = BootedVm::boot(backend, spec, log.get(), log_file, fast, [&](pid_t p) { started = p; });
  EXPECT_EQ(vm.kernel(), "6.12-test");
  EXPECT_EQ(started, vm.process().pid());
}

TEST_F(BootTest, AnEarlyExitCarriesQemusComplaint) {
  FakeScriptBackend backend(
      "import sys\nprint('qemu-system-x86_64: Failed to get \"write\" lock', file=sys.stderr)\nsys.exit(1)\n");
  try {
    BootedVm::boot(backend, spec, log.get(), log_file, fast);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "the VM exited while starting (exit code 1): qemu-system-x86_64: Failed to get \"write\" lock");
  }
}

TEST_F(BootTest, SilenceHitsTheHelloDeadline) {
  FakeScriptBackend backend(std::string(kConnect) + "time.sleep(30)\n");
  auto start = std::chrono::steady_clock::now();
  try {
    BootedVm::boot(backend, spec, log.get(), log_file, fast);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the guest did not start within 2 s"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(BootTest, AMalformedHelloIsAProtocolErrorAndTheVmIsGone) {
  FakeScriptBackend backend(std::string(kConnect) +
                            "s.sendall(b'{\"type\":\"hello\",\"kernel\":[1]}\\n')\ntime.sleep(30)\n");
  pid_t started = 0;
  try {
    BootedVm::boot(backend, spec, log.get(), log_file, fast, [&](pid_t p) { started = p; });
    FAIL();
  } catch (const protocol::ProtocolError& e) {
    EXPECT_STREQ(e.what(), "malformed 'hello' message from the guest: \"kernel\" is not a string");
  }
  EXPECT_NE(::kill(started, 0), 0) << "the VM was killed and reaped";
}

TEST_F(BootTest, AnythingButHelloFirstIsAProtocolError) {
  FakeScriptBackend backend(std::string(kConnect) +
                            "s.sendall(b'{\"type\":\"ready\",\"export\":\"/\"}\\n')\ntime.sleep(30)\n");
  EXPECT_THROW(BootedVm::boot(backend, spec, log.get(), log_file, fast), protocol::ProtocolError);
}

TEST(QemuComplaint, KeepsOnlyQemusOwnLines) {
  EXPECT_EQ(qemu_complaint("2026 starting\nqemu-system-x86_64: a\nother\nqemu-system-x86_64: b\n"),
            "qemu-system-x86_64: a; qemu-system-x86_64: b");
  EXPECT_EQ(qemu_complaint("qemu: linux kernel too old to load a ram disk\n"),
            "qemu: linux kernel too old to load a ram disk");
}

}  // namespace
}  // namespace alfs::vm
