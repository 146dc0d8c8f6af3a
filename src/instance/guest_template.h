// Instant mount (docs/instant-mount.md): a guest booted once up to the point where it
// needs the user's disk, and saved (its RAM and its devices' state, in one file);
// each mount then restores it instead of booting, hot-plugs the disks and asks for the
// mount. QEMU only; libkrun, `shell` and `list` boot cold, as does every mount for which
// the template cannot be made or restored.
//
// A template lives in `templates_dir`/<key>/state (the user's ~/.anylinuxfs/templates), the key hashing
// everything that shapes the saved guest: QEMU's command line for it (kernel, root, RAM, vCPUs, accelerator, the
// guest's kernel parameters), the size and time of the kernel, the image's initrd, the agent, the root filesystem and
// QEMU's binary.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/log_level.h"
#include "vm/boot.h"
#include "vm/vm_backend.h"

namespace alfs {

class GuestTemplates {
 public:
  // `log` hears what a save did that is worth a line in the instance's log.
  using Log = std::function<void(LogLevel, const std::string&)>;
  explicit GuestTemplates(std::string dir, Log log = {}) : dir_(std::move(dir)), log_(std::move(log)) {}

  // 16 hex digits for the template `spec` (a mount's, its disks and instance paths aside)
  // restores from. Throws Error naming an input it cannot read.
  // `image_initrd` and `agent_binary` make the initrd it boots (image/boot_initrd.h).
  static std::string key(const vm::VmSpec& spec, const std::string& image_initrd, const std::string& agent_binary);

  // The template's directory when it is complete.
  std::optional<std::string> find(const std::string& key) const;
  // Why `key` could not be made or restored, when it failed within the last hour (each
  // try costs a boot): not tried again until then, or until the key changes. Empty when
  // it may be tried.
  std::string failure(const std::string& key) const;
  void record_failure(const std::string& key, const std::string& why) const;

  // Boots `spec` without its disks, has the agent prepare, and saves the guest as `key`;
  // returns its directory. `work_dir` holds the sockets. Throws Error, once recorded for
  // failure().
  // `starting` sees the spec of each VM just before it starts (for the log).
  std::string make(vm::VmBackend& backend, const vm::VmSpec& spec, const std::string& key, const std::string& work_dir,
                   int log_fd, const std::string& log_file, const std::function<void(const vm::VmSpec&)>& starting,
                   const std::function<void(pid_t)>& on_started);

  // Starts `spec` from the template in `template_dir`: restores it, hot-plugs the disks in
  // their order and renews the guest (clock, entropy), up to its "hello". Throws Error;
  // the caller then removes the template and boots cold.
  static vm::BootedVm restore(vm::VmBackend& backend, vm::VmSpec spec, const std::string& template_dir,
                              const std::string& work_dir, int log_fd, const std::string& log_file,
                              const std::function<void(const vm::VmSpec&)>& starting,
                              const std::function<void(pid_t)>& on_started);

  void remove(const std::string& key) const;
  // Keeps the kKept templates used last, removes the others.
  void evict() const;
  static constexpr size_t kKept = 4;

 private:
  // Throws Error unless the directory is absent or ours alone (no symlink, nobody else may write).
  void check_dir() const;
  std::string save(vm::VmBackend& backend, vm::VmSpec spec, const std::string& key, const std::string& work_dir,
                   int log_fd, const std::string& log_file, const std::function<void(const vm::VmSpec&)>& starting,
                   const std::function<void(pid_t)>& on_started);
  void leave_out_zero_pages(const std::string& state) const;
  std::string dir_;
  Log log_;
};

}  // namespace alfs
