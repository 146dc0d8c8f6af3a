// The supervisor's lifecycle rules, with a fake VM (a python3 script playing the guest's
// side of the control channel: vm/fake_script_backend.h) and a fake presentation.
#include "instance/supervisor.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>

#include "common/deadline.h"
#include "common/error.h"
#include "common/temp_dir.h"
#include "vm/fake_script_backend.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The guest's side up to the mount request; each test's script goes on from there.
const char* kGuest = R"(import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rwb')
def send(m):
    f.write((json.dumps(m) + '\n').encode())
    f.flush()
send({'type': 'hello', 'kernel': '6.12-test'})
request = json.loads(f.readline())
)";

// Serves until unmounted (by the test), asked to exit, or released.
class FakePresentation : public nfs::Presentation {
 public:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    bool mounted = false, unmounted = false, released = false;
    PresentationOptions options;
    nfs::NfsTarget target;
  };
  explicit FakePresentation(std::shared_ptr<State> state) : state_(std::move(state)) {}
  int run() override {
    std::unique_lock lock(state_->mutex);
    state_->changed.wait(lock, [&] { return state_->unmounted || state_->released; });
    return 0;
  }
  void request_exit() override { set(&State::unmounted); }
  void release_now() override { set(&State::released); }

 private:
  void set(bool State::*flag) {
    std::lock_guard lock(state_->mutex);
    (*state_).*flag = true;
    state_->changed.notify_all();
  }
  std::shared_ptr<State> state_;
};

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() {
    plan.record.id = "77";
    plan.record.disk = "disk.img";
    plan.record.mount_point = tmp.file("mnt");
    plan.record.log_file = tmp.file("77.log");
    plan.record.console_log = tmp.file("77.console.log");
    plan.instances_dir = tmp.file("instances");
    plan.instance_dir = plan.instances_dir + "/77";
    plan.owner_uid = ::getuid();
    plan.timeouts = {.mount = 10s, .stop = 2s, .power_off = 2s, .lost_grace = 2s};
    make_dirs(plan.instance_dir, 0700);
  }

  // Runs the supervisor in the background; `result` has its exit code once it ends.
  void start(const std::string& guest_script) {
    Pipe pipe = make_pipe();
    report = std::move(pipe.read);
    auto backend = std::make_unique<vm::FakeScriptBackend>(std::string(kGuest) + guest_script);
    PresentationFactory present = [state = presented](const nfs::NfsTarget& target, const PresentationOptions& options,
                                                      const LogFn&) {
      std::lock_guard lock(state->mutex);
      state->mounted = true;
      state->options = options;
      state->target = target;
      state->changed.notify_all();
      return std::make_unique<FakePresentation>(state);
    };
    result = std::async(std::launch::async, [this, backend = std::move(backend), present = std::move(present),
                                             write = std::move(pipe.write)]() mutable {
      return supervise(std::move(plan), std::move(backend), std::move(present), std::move(write));
    });
  }

  // Until the supervisor reported the mount ready (it has saved the record by then).
  bool wait_ready() {
    while (reported.find("ready ") == std::string::npos) {
      pollfd pfd{report.get(), POLLIN, 0};
      char buf[512];
      ssize_t n = ::poll(&pfd, 1, 20000) == 1 ? ::read(report.get(), buf, sizeof buf) : 0;
      if (n <= 0) return false;
      reported.append(buf, static_cast<size_t>(n));
    }
    std::lock_guard lock(presented->mutex);
    return presented->mounted;
  }
  void unmount() {
    std::lock_guard lock(presented->mutex);
    presented->unmounted = true;
    presented->changed.notify_all();
  }
  int finished() {
    EXPECT_EQ(result.wait_for(30s), std::future_status::ready) << "the supervisor did not end";
    return result.get();
  }
  std::string reports() {
    std::string text = reported;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    return text;
  }
  InstanceRecord record() { return InstanceRegistry(tmp.file("instances"), ::getuid()).find(tmp.file("mnt")).value(); }

  TempDir tmp{"alfs-sup"};
  SupervisorPlan plan;
  std::shared_ptr<FakePresentation::State> presented = std::make_shared<FakePresentation::State>();
  UniqueFd report;
  std::string reported;
  std::future<int> result;
};

TEST_F(SupervisorTest, AGuestErrorIsReportedWithItsTextAndLeavesNothing) {
  start("send({'type': 'error', 'step': 'mount', 'message': 'mount: wrong fs type'})\n");
  EXPECT_EQ(finished(), 1);
  std::string text = reports();
  EXPECT_TRUE(text.ends_with("\nerror the guest failed at step 'mount': mount: wrong fs type\n")) << text;
  EXPECT_FALSE(presented->mounted);
  EXPECT_FALSE(fs::exists(tmp.file("instances/77"))) << "the record is gone";
  EXPECT_FALSE(fs::exists(tmp.file("mnt"))) << "no mount point was made";
}

TEST_F(SupervisorTest, ACleanRunPresentsTheExportAndEndsWithTheGuestsStopped) {
  start(
      "send({'type': 'ready', 'export': '/mnt/disk', 'fstype': 'ext4'})\n"
      "assert json.loads(f.readline())['type'] == 'stop'\n"
      "send({'type': 'stopped', 'clean': True})\n");
  ASSERT_TRUE(wait_ready());
  InstanceRecord live = record();
  EXPECT_EQ(live.state, InstanceState::kReady);
  EXPECT_EQ(live.fstype, "ext4");
  EXPECT_NE(live.nfs_port, 0);
  EXPECT_EQ(presented->target.export_path, "/mnt/disk");
  EXPECT_EQ(presented->target.nfs_port, live.nfs_port);
  EXPECT_EQ(presented->options.mount_point, tmp.file("mnt"));
  EXPECT_TRUE(fs::is_directory(tmp.file("mnt"))) << "the mount point was made";
  unmount();
  EXPECT_EQ(finished(), 0);
  EXPECT_EQ(reports(),
            "progress starting the VM (fake, tcg)\nprogress mounting disk.img in the guest\n"
            "progress presenting the export at " +
                tmp.file("mnt") + "\nready " + tmp.file("mnt") + "\n");
  EXPECT_FALSE(fs::exists(tmp.file("instances/77")));
  EXPECT_FALSE(fs::exists(tmp.file("mnt"))) << "the mount point it made is removed";
  EXPECT_NE(::kill(live.vm_pid, 0), 0) << "the VM was reaped";
}

TEST_F(SupervisorTest, ADriversReadOnlyFallbackReachesTheRecordAndThePresentation) {
  start(
      "send({'type': 'ready', 'export': '/mnt/disk', 'fstype': 'ntfs3', 'read_only': True,"
      " 'warning': 'hibernated: mounted read-only'})\n"
      "f.readline()\nsend({'type': 'stopped', 'clean': True})\n");
  ASSERT_TRUE(wait_ready());
  EXPECT_TRUE(record().read_only);
  EXPECT_TRUE(presented->options.read_only);
  unmount();
  EXPECT_EQ(finished(), 0);
  EXPECT_NE(reports().find("warning hibernated: mounted read-only\n"), std::string::npos);
}

TEST_F(SupervisorTest, AVmThatDiesUnderALiveMountReleasesTheMountPointAndEndsTheInstance) {
  start("send({'type': 'ready', 'export': '/mnt/disk', 'fstype': 'ext4'})\ntime.sleep(1)\nsys.exit(3)\n");
  ASSERT_TRUE(wait_ready());
  EXPECT_EQ(finished(), 1);
  EXPECT_TRUE(presented->released);
  EXPECT_FALSE(presented->unmounted);
  EXPECT_FALSE(fs::exists(tmp.file("instances/77")));
}

TEST_F(SupervisorTest, AGuestThatNeverSaysStoppedIsTerminatedPastTheDeadlines) {
  start(
      "send({'type': 'ready', 'export': '/mnt/disk', 'fstype': 'ext4'})\n"
      "assert json.loads(f.readline())['type'] == 'stop'\ntime.sleep(60)\n");
  ASSERT_TRUE(wait_ready());
  pid_t vm = record().vm_pid;
  auto begin = std::chrono::steady_clock::now();
  unmount();
  EXPECT_EQ(finished(), 1) << "not a clean end";
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(took, 4s) << "the stop and power-off deadlines were waited for";
  EXPECT_LT(took, 20s);
  EXPECT_NE(::kill(vm, 0), 0) << "the VM was terminated and reaped";
}

}  // namespace
}  // namespace alfs
