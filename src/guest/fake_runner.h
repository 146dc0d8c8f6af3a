// A Runner for unit tests: records the commands, answers with canned output or
// failures, spawns nothing.
#pragma once

#include <sys/wait.h>

#include <map>
#include <set>
#include <utility>

#include "guest/runner.h"

namespace alfs::guest {

class FakeRunner : public Runner {
 public:
  RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds) override {
    std::string line = join_argv(argv);
    calls.push_back(line);
    for (auto& [prefix, output] : outputs)
      if (line.rfind(prefix, 0) == 0) return RunResult{ExitStatus{0}, output};
    for (auto& [prefix, failure] : failures) {
      if (line.rfind(prefix, 0) == 0 && failure.times != 0) {
        --failure.times;
        kernel += failure.kernel;
        return RunResult{ExitStatus{W_EXITCODE(32, 0)}, failure.output};
      }
    }
    // A loaded filesystem module registers its type, as the kernel's does.
    if (argv[0] == "modprobe")
      for (const auto& word : argv)
        if (word != "modprobe" && word[0] != '-') files["/proc/filesystems"] += "\t" + word + "\n";
    return RunResult{ExitStatus{0}, ""};
  }
  RunResult run_with_input(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           std::string_view input) override {
    inputs.emplace_back(input);
    return run(argv, timeout);
  }
  RunResult run_script(const std::string& script, const std::vector<std::string>& env,
                       std::chrono::milliseconds timeout) override {
    script_env = env;
    return run({"script", script}, timeout);
  }
  void start_daemon(const std::vector<std::string>& argv) override { calls.push_back("daemon " + join_argv(argv)); }
  void stop_daemons() override { calls.push_back("stop daemons"); }
  void log(const std::string&) override {}
  std::string kernel_messages() override { return std::exchange(kernel, ""); }
  // Recorded and failed (fail("mount -t nfsd")) as the mount(8) command would be.
  std::string mount_pseudo(const std::string& type, const std::string& target) override {
    RunResult result = run({"mount", "-t", type, type, target}, std::chrono::seconds(10));
    return result.ok() ? "" : result.output;
  }
  bool wait_for_path(const std::string& path, std::chrono::milliseconds) override {
    calls.push_back("wait " + path);
    return paths.count(path) != 0;
  }
  std::string read_text(const std::string& path) override { return files[path]; }
  void set_readahead(const std::string& device, int kib) override {
    calls.push_back("readahead " + device + " " + std::to_string(kib));
  }
  void write_text(const std::string& path, const std::string& text) override {
    calls.push_back("write " + path + " " + text);
    files[path] = text;
  }
  // Recorded and failed (fail("umount /mnt/disk")) as the umount(8) command would be.
  std::string unmount(const std::string& target) override {
    RunResult result = run({"umount", target}, std::chrono::seconds(10));
    return result.ok() ? "" : result.output;
  }
  // Recorded and failed as `mount -o remount,ro TARGET` would be.
  std::string remount_read_only(const std::string& target) override {
    RunResult result = run({"mount", "-o", "remount,ro", target}, std::chrono::seconds(10));
    return result.ok() ? "" : result.output;
  }
  void sync_disks() override { calls.push_back("sync"); }
  // Answered as blkid(8) would be (outputs["blkid -o value -s LABEL"]).
  std::string probe_value(const std::string& device, const std::string& tag) override {
    return trim(run({"blkid", "-o", "value", "-s", tag, device}, std::chrono::seconds(10)).output);
  }
  // Recorded as "mount(2) -t TYPE [-o OPTIONS] SOURCE TARGET"; fails where mount(8) with
  // those arguments would (fail("mount -t ext4")), leaving that failure to mount(8).
  bool mount_device(const std::string& source, const std::string& target, const std::string& type,
                    const std::string& options) override {
    std::vector<std::string> argv = {"mount", "-t", type};
    if (!options.empty()) argv.insert(argv.end(), {"-o", options});
    argv.insert(argv.end(), {source, target});
    std::string line = join_argv(argv);
    if (!mount_flags(options)) return false;
    calls.push_back("mount(2)" + line.substr(5));
    for (const auto& [prefix, failure] : failures)
      if (line.rfind(prefix, 0) == 0 && failure.times != 0) return false;
    return true;
  }

  struct Failure {
    std::string output;
    int times = -1;      // -1: always
    std::string kernel;  // what the kernel logs when it fails
  };
  void fail(const std::string& prefix, std::string output, int times = -1, std::string kernel_says = "") {
    failures[prefix] = {output, times, kernel_says};
  }

  std::vector<std::string> calls;
  std::vector<std::string> inputs;      // what commands got on stdin
  std::vector<std::string> script_env;  // the environment of the last script
  std::map<std::string, Failure> failures;
  std::map<std::string, std::string> outputs;  // prefix -> what a successful command prints
  std::string kernel;                          // what the kernel logged and nobody took yet
  // What exists (wait_for_path) and what read_text finds (modprobe adds to /proc/filesystems).
  std::set<std::string> paths = {"/run/rpcbind.sock", "/usr/sbin/mount.ntfs", "/usr/sbin/mount.exfat-fuse"};
  std::map<std::string, std::string> files = {
      {"/proc/filesystems", "nodev\tproc\nnodev\tnfsd\n\text4\n\tbtrfs\n"},
      {"/proc/self/mounts", "/dev/vdb / ext4 ro,relatime 0 0\n/dev/vda /mnt/disk ext4 rw,noatime 0 0\n"}};
};

}  // namespace alfs::guest
