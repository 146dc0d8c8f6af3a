#include "host/guest_image.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "host/config.h"

namespace alfs {

namespace fs = std::filesystem;

namespace {

// FNV-1a: a cache key, not a security boundary.
uint64_t fnv1a(uint64_t h, std::string_view data) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool complete(const GuestImage& image) {
  for (const auto& f : {image.kernel, image.initrd, image.rootfs})
    if (!fs::is_regular_file(f)) return false;
  return true;
}

}  // namespace

ImageInputs image_inputs(const Paths& paths) {
  ImageInputs inputs{paths.share_dir + "/build-guest-image.sh", paths.share_dir + "/guest-packages.txt",
                     paths.agent_binary};
  Config config = load_config(default_config_files(paths.home));
  inputs.extra_packages = config.custom_packages;
  inputs.zfs = config.zfs;
  std::sort(inputs.extra_packages.begin(), inputs.extra_packages.end());
  if (std::string ca = paths.data_dir + "/ca-certificates.crt"; fs::is_regular_file(ca)) inputs.ca_bundle = ca;
  return inputs;
}

std::string image_key(const ImageInputs& inputs) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& path : {inputs.build_script, inputs.package_list, inputs.agent_binary}) {
    h = fnv1a(h, read_file(path));
    h = fnv1a(h, std::string_view("\0", 1));
  }
  // Left out when absent, so the default image's key stays what it was.
  for (const auto& package : inputs.extra_packages) h = fnv1a(h, "package " + package + '\0');
  if (!inputs.ca_bundle.empty()) h = fnv1a(h, "ca " + read_file(inputs.ca_bundle) + '\0');
  if (inputs.zfs) h = fnv1a(h, std::string_view("zfs\0", 4));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::optional<GuestImage> find_image(const std::string& image_root, const std::string& key) {
  GuestImage image;
  image.key = key;
  image.dir = image_root + "/" + key;
  image.kernel = image.dir + "/kernel";
  image.initrd = image.dir + "/initrd.img";
  image.rootfs = image.dir + "/rootfs.img";
  if (!complete(image)) return std::nullopt;
  return image;
}

GuestImage ensure_guest_image(const Paths& paths, bool rebuild, int progress_fd) {
  ImageInputs inputs = image_inputs(paths);
  std::string key = image_key(inputs);
  if (!rebuild) {
    if (auto image = find_image(paths.image_root, key)) return *image;
  }
  if (::geteuid() != 0) {
    throw Error("the guest image is not built yet (" + paths.image_root + "/" + key +
                "): building it needs root, run `sudo anylinuxfs init` once");
  }
  make_user_dirs(paths, paths.image_root, 0755);
  // One build at a time; a second mount waits for the first build and reuses it.
  UniqueFd lock = open_file(paths.image_root + "/.build.lock", O_RDWR | O_CREAT, 0644);
  if (::flock(lock.get(), LOCK_EX) != 0) throw SystemError("cannot lock " + paths.image_root);
  if (!rebuild) {
    if (auto image = find_image(paths.image_root, key)) return *image;
  }

  std::string staging = paths.image_root + "/" + key + ".partial";
  std::string final_dir = paths.image_root + "/" + key;
  fs::remove_all(staging);
  write_all(progress_fd, inputs.zfs ? "anylinuxfs: building the guest image with ZFS (Debian bookworm; zfs-dkms "
                                      "compiles its modules once: about 8 minutes)\n"
                                    : "anylinuxfs: building the guest image (Debian bookworm, about a minute)\n");
  SpawnOptions opts;
  opts.argv = {"sh", inputs.build_script, staging, inputs.agent_binary, inputs.package_list};
  std::string extra;
  for (const auto& package : inputs.extra_packages) extra += (extra.empty() ? "" : ",") + package;
  opts.extra_env = {"ALFS_EXTRA_PACKAGES=" + extra, "ALFS_CA_BUNDLE=" + inputs.ca_bundle,
                    std::string("ALFS_WITH_ZFS=") + (inputs.zfs ? "1" : "0"),
                    "ALFS_ZFS_CACHE=" + paths.image_root + "/zfs-modules"};
  opts.stdout_fd = progress_fd;
  opts.stderr_fd = progress_fd;
  Process build = spawn(opts);
  const std::chrono::minutes limit(inputs.zfs ? 90 : 20);
  auto status = build.wait_for(limit);
  if (!status) {
    build.terminate(std::chrono::seconds(5));
    fs::remove_all(staging);
    throw Error("building the guest image timed out after " + std::to_string(limit.count()) + " minutes");
  }
  if (status->code() != 0) {
    fs::remove_all(staging);
    throw Error("building the guest image failed (" + status->describe() + "); its output is above");
  }
  // Publish atomically; older images of the same variant are of no further use (the
  // other variant's is kept: a user may switch back and forth).
  std::string variant = inputs.zfs ? "zfs" : "default";
  write_file_atomic(staging + "/variant", variant + "\n");
  fs::remove_all(final_dir);
  // Built by root in the invoking user's home: the user owns it, as the rest of ~/.anylinuxfs.
  for (const auto& entry : fs::recursive_directory_iterator(staging))
    (void)!::chown(entry.path().c_str(), paths.owner_uid, paths.owner_gid);
  (void)!::chown(staging.c_str(), paths.owner_uid, paths.owner_gid);
  fs::rename(staging, final_dir);
  for (const auto& entry : fs::directory_iterator(paths.image_root)) {
    if (!entry.is_directory() || entry.path().filename() == key) continue;
    if (!fs::is_regular_file(entry.path() / "manifest.txt")) continue;  // not an image (the ZFS module cache)
    std::string other = fs::is_regular_file(entry.path() / "variant") ? read_file((entry.path() / "variant").string()) : "default\n";
    if (other == variant + "\n") fs::remove_all(entry.path());
  }
  auto image = find_image(paths.image_root, key);
  if (!image) throw Error("the guest image build finished but " + final_dir + " is incomplete");
  return *image;
}

}  // namespace alfs
