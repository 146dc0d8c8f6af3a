#include "guest/runner.h"

#include <blkid/blkid.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/deadline.h"
#include "common/fd.h"

namespace alfs::guest {

using namespace std::chrono_literals;

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::optional<protocol::GuestError> run_step(Runner& runner, const std::string& name,
                                             const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                             std::optional<std::string_view> input) {
  try {
    RunResult result = input ? runner.run_with_input(argv, timeout, *input) : runner.run(argv, timeout);
    if (result.ok()) return std::nullopt;
    std::string text = trim(result.output);
    if (text.empty()) text = argv[0] + " failed with " + result.status.describe();
    return protocol::GuestError{name, text};
  } catch (const std::exception& e) {
    return protocol::GuestError{name, e.what()};
  }
}

std::string run_query(Runner& runner, const std::vector<std::string>& argv) {
  try {
    RunResult result = runner.run(argv, 10s);
    return result.ok() ? trim(result.output) : "";
  } catch (const std::exception&) {
    return "";
  }
}

RunResult ProcessRunner::run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  log("run: " + join_argv(argv));
  RunResult result = run_command(argv, timeout);
  if (!result.ok()) log("  -> " + result.status.describe() + ": " + result.output);
  return result;
}

RunResult ProcessRunner::run_with_input(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                        std::string_view input) {
  log("run: " + join_argv(argv) + " (with input)");
  RunResult result = run_command_with_input(argv, timeout, input);
  if (!result.ok()) log("  -> " + result.status.describe() + ": " + result.output);
  return result;
}

RunResult ProcessRunner::run_script(const std::string& script, const std::vector<std::string>& env,
                                    std::chrono::milliseconds timeout) {
  log("script: " + script);
  return run_command({"/bin/sh", "-c", script}, timeout, env);
}

void ProcessRunner::start_daemon(const std::vector<std::string>& argv) {
  log("start: " + join_argv(argv));
  SpawnOptions opts;
  opts.argv = argv;
  daemons_.push_back(spawn(opts));
}

void ProcessRunner::stop_daemons() {
  // Killed, not asked: the guest powers off next and the daemons keep nothing that must
  // outlive it, so their goodbyes (mountd unregistering from rpcbind: 0.13 s) buy nothing.
  for (const Process& daemon : daemons_) daemon.signal(SIGKILL);
  while (!daemons_.empty()) {
    daemons_.back().terminate(std::chrono::seconds(2));
    daemons_.pop_back();
  }
}

void ProcessRunner::log(const std::string& line) { agent_log(line); }

std::string ProcessRunner::kernel_messages() {
  std::string out;
  for (const auto& r : kernel_log_.take()) out += "kernel: " + r.text + "\n";
  return out;
}

std::string ProcessRunner::mount_pseudo(const std::string& type, const std::string& target) {
  log("mount: " + type + " on " + target);
  if (::mount(type.c_str(), target.c_str(), type.c_str(), 0, nullptr) == 0) return "";
  std::string why = "mount " + type + " on " + target + ": " + std::strerror(errno);
  log("  -> " + why);
  return why;
}

bool ProcessRunner::wait_for_path(const std::string& path, std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  struct stat st;
  while (::stat(path.c_str(), &st) != 0) {
    if (deadline.expired()) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string ProcessRunner::read_text(const std::string& path) {
  try {
    return read_file(path);
  } catch (const std::exception&) {
    return "";
  }
}

void ProcessRunner::write_text(const std::string& path, const std::string& text) {
  log(path + " = " + text);
  try {
    UniqueFd fd = open_file(path, O_WRONLY | O_TRUNC);
    write_all(fd.get(), text);
  } catch (const std::exception& e) {
    log(std::string("  -> ") + e.what());
  }
}

std::string ProcessRunner::probe_value(const std::string& device, const std::string& tag) {
  blkid_probe probe = blkid_new_probe_from_filename(device.c_str());
  if (probe == nullptr) return "";
  blkid_probe_enable_superblocks(probe, 1);
  blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
  std::string value;
  const char* data = nullptr;
  if (blkid_do_safeprobe(probe) == 0 && blkid_probe_lookup_value(probe, tag.c_str(), &data, nullptr) == 0) value = data;
  blkid_free_probe(probe);
  return value;
}

bool ProcessRunner::mount_device(const std::string& source, const std::string& target, const std::string& type,
                                 const std::string& options) {
  auto flags = mount_flags(options);
  if (!flags) return false;
  log("mount(2): " + source + " on " + target + " as " + type + (options.empty() ? "" : " with " + options));
  if (::mount(source.c_str(), target.c_str(), type.c_str(), *flags, nullptr) == 0) return true;
  log("  -> " + std::string(std::strerror(errno)) + "; trying mount(8)");
  return false;
}

std::string ProcessRunner::unmount(const std::string& target) {
  log("umount " + target);
  if (::umount(target.c_str()) == 0) return "";
  std::string why = "umount " + target + ": " + std::strerror(errno);
  log("  -> " + why);
  return why;
}

std::string ProcessRunner::remount_read_only(const std::string& target) {
  log("remount read-only " + target);
  if (::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0) return "";
  std::string why = "remount read-only " + target + ": " + std::strerror(errno);
  log("  -> " + why);
  return why;
}

void ProcessRunner::sync_disks() {
  log("sync");
  ::sync();
}

void ProcessRunner::set_readahead(const std::string& device, int kib) {
  log("readahead: " + device + " " + std::to_string(kib) + " KiB");
  UniqueFd fd(::open(device.c_str(), O_RDONLY | O_CLOEXEC));
  // BLKRASET counts 512-byte sectors.
  if (fd && ::ioctl(fd.get(), BLKRASET, static_cast<unsigned long>(kib) * 2) == 0) return;
  log("  -> readahead of " + device + ": " + std::strerror(errno));
}

}  // namespace alfs::guest
