#include "config/paths.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_.empty())
      ::unsetenv(name_);
    else
      ::setenv(name_, old_.c_str(), 1);
  }
  const char* name_;
  std::string old_;
};

TEST(ResolvePaths, DataLivesInTheHomeAndTheImageCacheCanMove) {
  ScopedEnv home("HOME", "/home/someone");
  ::unsetenv("SUDO_USER");
  Paths p = resolve_paths();
  EXPECT_EQ(p.data_dir, "/home/someone/.anylinuxfs");
  EXPECT_EQ(p.instances_dir, "/home/someone/.anylinuxfs/instances");
  {
    ScopedEnv images("ALFS_IMAGE_DIR", "/srv/alfs-images");
    EXPECT_EQ(resolve_paths().image_root, "/srv/alfs-images");
    EXPECT_TRUE(resolve_paths().image_root_is_roots);
  }
  ::unsetenv("ALFS_IMAGE_DIR");
  EXPECT_EQ(resolve_paths().image_root, "/home/someone/.anylinuxfs/image");
  EXPECT_FALSE(resolve_paths().image_root_is_roots);
  EXPECT_EQ(fs::path(p.agent_binary).filename(), "anylinuxfs-agent");
}

TEST(ResolvePaths, UnderSudoTheInvokingUsersHome) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (sudo semantics)";
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  ScopedEnv sudo_user("SUDO_USER", "nobody");
  ScopedEnv home("HOME", "/root");
  Paths p = resolve_paths();
  EXPECT_EQ(p.home, nobody->pw_dir);
  EXPECT_EQ(p.owner_uid, nobody->pw_uid);
}

TEST(OpenRunLog, TruncatesAndRefusesASymlink) {
  TempDir tmp("alfs-logs");
  Paths paths;
  paths.logs_dir = tmp.path();
  write_file_atomic(log_file(paths, "1"), "an old run's\n");
  write_all(open_run_log(paths, "1").get(), "new\n");
  EXPECT_EQ(read_file(log_file(paths, "1")), "new\n");
  write_file_atomic(tmp.file("victim"), "untouched");
  fs::create_symlink(tmp.file("victim"), log_file(paths, "2"));
  EXPECT_THROW(open_run_log(paths, "2"), SystemError);
  EXPECT_EQ(read_file(tmp.file("victim")), "untouched");
}

// Log files of runs 1..n in `dir`, run i modified i minutes ago (run 1 the newest).
std::set<std::string> make_runs(const fs::path& dir, int n) {
  std::set<std::string> names;
  auto now = fs::file_time_type::clock::now();
  for (int i = 1; i <= n; ++i) {
    for (const std::string& name : {std::to_string(i) + ".log", std::to_string(i) + ".console.log"}) {
      write_file_atomic((dir / name).string(), "x");
      fs::last_write_time(dir / name, now - std::chrono::minutes(i));
      names.insert(name);
    }
  }
  return names;
}

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

TEST(PruneLogs, KeepsTheNewestRunsTheCurrentOneAndRunningOnes) {
  TempDir tmp("alfs-logs");
  fs::path dir = tmp.path();
  make_runs(dir, 12);
  fs::create_symlink("1.log", dir / "latest.log");
  write_file_atomic((dir / "shell-9.log").string(), "x");  // the current run, older than all
  fs::last_write_time(dir / "shell-9.log", fs::file_time_type::clock::now() - std::chrono::hours(1));
  // Run 11's console log is new: a run counts by its newer file.
  fs::last_write_time(dir / "11.console.log", fs::file_time_type::clock::now());

  prune_logs(dir.string(), "shell-9", {"12"}, 4);
  EXPECT_EQ(files_in(dir),
            (std::set<std::string>{"latest.log", "shell-9.log", "1.log", "1.console.log", "2.log", "2.console.log",
                                   "11.log", "11.console.log", "12.log", "12.console.log"}));
}

TEST(PruneLogs, MarkingTheLatestRunPointsTheLinksAndPrunesAllButTheRunningOnes) {
  TempDir tmp("alfs-logs");
  Paths paths;
  paths.logs_dir = tmp.file("logs");
  make_dirs(paths.logs_dir);
  make_runs(paths.logs_dir, 12);
  mark_latest_logs(paths, "13", {"10", "11"});
  std::set<std::string> expected = {"latest.log", "latest.console.log"};
  for (std::string id : {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"})
    expected.insert({id + ".log", id + ".console.log"});
  EXPECT_EQ(files_in(paths.logs_dir), expected);
  EXPECT_EQ(fs::read_symlink(fs::path(paths.logs_dir) / "latest.log"), log_file(paths, "13"));
  EXPECT_EQ(fs::read_symlink(fs::path(paths.logs_dir) / "latest.console.log"), console_log_file(paths, "13"));
}

TEST(PruneLogs, NothingToDoWithFewRunsOrNoDirectory) {
  TempDir tmp("alfs-logs");
  fs::path dir = tmp.path();
  std::set<std::string> all = make_runs(dir, 9);
  prune_logs(dir.string(), "10", {}, kKeptRuns);
  EXPECT_EQ(files_in(dir), all);
  prune_logs((dir / "missing").string(), "10", {}, kKeptRuns);
}

}  // namespace
}  // namespace alfs
