#include "common/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fd.h"

namespace alfs {
namespace {

using namespace std::chrono_literals;

TEST(RunCommand, CapturesOutputAndExitCode) {
  RunResult r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"}, 5s);
  EXPECT_EQ(r.status.code(), 3);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.output.find("out\n"), std::string::npos);
  EXPECT_NE(r.output.find("err\n"), std::string::npos);
}

TEST(RunCommand, PassesExtraEnvironment) {
  RunResult r = run_command({"sh", "-c", "echo $ALFS_TEST_VAR"}, 5s, {"ALFS_TEST_VAR=hello"});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.output, "hello\n");
}

TEST(RunCommand, RunsAsTheGivenUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run as another user";
  UserIdentity nobody{65534, 65534, {65534}};
  RunResult r = run_command_as(nobody, {"sh", "-c", "id -u; id -G"}, 5s);
  EXPECT_TRUE(r.ok()) << r.output;
  EXPECT_EQ(r.output, "65534\n65534\n") << "uid, then every group: root's are gone";
  EXPECT_EQ(run_command_as(std::nullopt, {"id", "-u"}, 5s).output, "0\n");
}

TEST(RunCommand, FeedsStdinLargerThanAPipe) {
  std::string input(1 << 20, 'x');
  input += "end";
  RunResult r = run_command_with_input({"sh", "-c", "wc -c; echo done >&2"}, 10s, input);
  EXPECT_TRUE(r.ok());
  EXPECT_NE(r.output.find(std::to_string(input.size())), std::string::npos) << r.output;
}

TEST(RunCommand, ACommandIgnoringStdinStillFinishes) {
  // The write races the child's exit; several rounds make the EPIPE (and SIGPIPE) path likely.
  for (int i = 0; i < 20; ++i) {
    RunResult r = run_command_with_input({"true"}, 5s, std::string(1 << 20, 'x'));
    EXPECT_TRUE(r.ok());
  }
}

TEST(Spawn, InheritedFdsKeepTheirNumbersOthersAreClosed) {
  Pipe kept = make_pipe();
  Pipe closed = make_pipe();
  Pipe out = make_pipe();
  SpawnOptions opts;
  std::string k = std::to_string(kept.write.get()), c = std::to_string(closed.write.get());
  opts.argv = {"sh", "-c", "echo kept >&" + k + "; { echo leaked >&" + c + "; } 2>/dev/null; echo done"};
  opts.inherit_fds = {kept.write.get()};
  opts.stdout_fd = out.write.get();
  Process child = spawn(opts);
  kept.write.reset();
  closed.write.reset();
  out.write.reset();
  ASSERT_TRUE(child.wait_for(5s).has_value());
  char buf[64] = {};
  EXPECT_EQ(::read(kept.read.get(), buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "kept\n");
  EXPECT_EQ(::read(closed.read.get(), buf, sizeof buf), 0) << "an fd not inherited stays closed in the child";
}

TEST(Spawn, RunsAsAnotherUserWithItsGroups) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  Pipe out = make_pipe();
  SpawnOptions opts{.argv = {"id"}, .stdout_fd = out.write.get()};
  opts.user = UserIdentity{65534, 65534, {65534, 4}};
  Process p = spawn(opts);
  out.write.reset();
  ASSERT_TRUE(p.wait_for(5s));
  char buf[256] = {};
  ASSERT_GT(::read(out.read.get(), buf, sizeof buf - 1), 0);
  std::string id(buf);
  EXPECT_EQ(id.rfind("uid=65534(", 0), 0u) << id;
  EXPECT_NE(id.find("gid=65534("), std::string::npos) << id;
  EXPECT_NE(id.find("groups=65534(nogroup),4("), std::string::npos) << id;
}

TEST(RunCommand, KillsAtTheDeadline) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run_command({"sleep", "30"}, 300ms), Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Spawn, MissingProgramIsANamedError) {
  try {
    spawn(SpawnOptions{.argv = {"/nonexistent/alfs-tool"}});
    FAIL() << "expected an error";
  } catch (const SystemError& e) {
    EXPECT_STREQ(e.what(), "cannot run /nonexistent/alfs-tool: No such file or directory");
  }
}

TEST(Process, TerminateEscalatesToSigkill) {
  // The child ignores SIGTERM: terminate() must still end it.
  Process p = spawn(SpawnOptions{.argv = {"sh", "-c", "trap '' TERM; exec sleep 30"}});
  std::this_thread::sleep_for(100ms);
  ExitStatus s = p.terminate(200ms);
  EXPECT_EQ(s.code(), 128 + SIGKILL);
  EXPECT_EQ(s.describe(), "killed by signal 9");
}

TEST(Process, DestructorKillsARunningChild) {
  pid_t pid;
  {
    Process p = spawn(SpawnOptions{.argv = {"sleep", "30"}});
    pid = p.pid();
  }
  EXPECT_NE(::kill(pid, 0), 0) << "child still exists after its owner went away";
}

TEST(JoinArgv, QuotesWhatAShellWouldSplit) { EXPECT_EQ(join_argv({"mount", "-o", "a b", "x"}), "mount -o 'a b' x"); }

}  // namespace
}  // namespace alfs
