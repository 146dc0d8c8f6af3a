// Disk images for the host tests, made with the real tools (sfdisk, mkfs.*). A missing
// tool skips the calling test: callers check RETURN_IF_NOT_SET_UP() after each step.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace alfs::test_disks {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr const char* kLinuxFsGuid = "0fc63daf-8483-4772-8e79-3d69d8477de4";
constexpr const char* kBasicDataGuid = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7";

// The tool's path in PATH or the sbin directories (that an unprivileged PATH may lack);
// empty when it is not installed.
std::string find_tool(const std::string& name);

// Runs argv (argv[0] looked up with find_tool) and asserts that it succeeds.
void run(std::vector<std::string> argv);

// Runs sfdisk on `image` with `script` on its standard input.
void partition(const std::string& image, const std::string& script);

void make_sparse(const std::string& path, uint64_t size);

// A 20 MiB GPT image: partition 1 (Linux, "root") holds ext4 "p1label" at 1 MiB,
// partition 2 (basic data) holds FAT "P2" at 5 MiB; both 4 MiB.
void make_gpt_image(const std::string& image);

// The message of the alfs::Error `f` throws, or "(no error)".
std::string error_of(const std::function<void()>& f);

}  // namespace alfs::test_disks

#define RETURN_IF_NOT_SET_UP() \
  if (IsSkipped() || HasFatalFailure()) return
