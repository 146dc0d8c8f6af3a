#include "disk/test_disks.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"

namespace alfs::test_disks {

namespace fs = std::filesystem;

std::string find_tool(const std::string& name) {
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin";
  size_t begin = 0;
  while (begin <= dirs.size()) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(begin, end - begin)) / name;
    if (end > begin && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    begin = end + 1;
  }
  return {};
}

void run(std::vector<std::string> argv) {
  std::string tool = find_tool(argv[0]);
  if (tool.empty()) GTEST_SKIP() << argv[0] << " is not installed";
  argv[0] = tool;
  RunResult r = run_command(argv, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << join_argv(argv) << ": " << r.status.describe() << "\n" << r.output;
}

void partition(const std::string& image, const std::string& script) {
  std::string tool = find_tool("sfdisk");
  if (tool.empty()) GTEST_SKIP() << "sfdisk is not installed";
  std::string script_path = image + ".sfdisk";
  write_file_atomic(script_path, script);
  UniqueFd in = open_file(script_path, O_RDONLY);
  SpawnOptions options;
  options.argv = {tool, "-q", image};
  options.stdin_fd = in.get();
  Process child = spawn(options);
  auto status = child.wait_for(std::chrono::seconds(60));
  ASSERT_TRUE(status && status->exited() && status->code() == 0) << "sfdisk failed on " << image;
}

void make_sparse(const std::string& path, uint64_t size) {
  UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
  ASSERT_EQ(::ftruncate(fd.get(), static_cast<off_t>(size)), 0);
}

void make_gpt_image(const std::string& image) {
  make_sparse(image, 20 * kMiB);
  partition(image, std::string("label: gpt\n") + "start=2048, size=8192, type=" + kLinuxFsGuid + ", name=\"root\"\n" +
                       "start=10240, size=8192, type=" + kBasicDataGuid + "\n");
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  run({"mkfs.ext4", "-q", "-F", "-L", "p1label", "-E", "offset=1048576", image, "4M"});
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  run({"mkfs.vfat", "--offset=10240", "-n", "P2", image, "4096"});
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace alfs::test_disks
