#include "image/guest_image.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "config/config.h"
#include "host/user_files.h"

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
  ImageInputs inputs{paths.share_dir + "/build-guest-image.sh", paths.share_dir + "/guest-packages.txt"};
  Config config = load_config(default_config_files(paths.home));
  inputs.extra_packages = config.custom_packages;
  inputs.zfs = config.zfs;
  std::sort(inputs.extra_packages.begin(), inputs.extra_packages.end());
  if (std::string ca = paths.data_dir + "/ca-certificates.crt"; fs::is_regular_file(ca))
    inputs.ca_bundle = read_file(ca);
  return inputs;
}

std::string image_key(const ImageInputs& inputs) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& path : {inputs.build_script, inputs.package_list}) {
    h = fnv1a(h, read_file(path));
    h = fnv1a(h, std::string_view("\0", 1));
  }
  // Left out when absent, so the default image's key stays what it was.
  for (const auto& package : inputs.extra_packages) h = fnv1a(h, "package " + package + '\0');
  if (!inputs.ca_bundle.empty()) h = fnv1a(h, "ca " + inputs.ca_bundle + '\0');
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

namespace {

// Where the compiled ZFS modules are kept when the image cache is the user's: the build
// (root's) writes there, so not in the user's home.
constexpr const char* kRootZfsCache = "/var/cache/anylinuxfs/zfs-modules";

using BuiltFiles = std::vector<std::pair<std::string, UniqueFd>>;  // name, open for reading

// Runs the build script and returns its output files open; the directory is gone. Under
// sudo it runs as root in a new directory of root's (in the user's home they could swap
// a path under it); a user without root runs it as themselves, and the script builds in
// a user namespace of theirs.
BuiltFiles build_image(const ImageInputs& inputs, const std::string& zfs_cache, int progress_fd) {
  AsRoot root;
  TempDir work("alfs-image-build");
  std::string out = work.file("image"), ca_bundle;
  if (!inputs.ca_bundle.empty()) write_file_atomic(ca_bundle = work.file("ca-certificates.crt"), inputs.ca_bundle);
  write_all(progress_fd, inputs.zfs ? "anylinuxfs: building the guest image with ZFS (Debian bookworm; zfs-dkms "
                                      "compiles its modules once: about 8 minutes)\n"
                                    : "anylinuxfs: building the guest image (Debian bookworm, about a minute)\n");
  SpawnOptions opts;
  opts.argv = {"sh", inputs.build_script, out, inputs.package_list};
  std::string extra;
  for (const auto& package : inputs.extra_packages) extra += (extra.empty() ? "" : ",") + package;
  opts.extra_env = {"ALFS_EXTRA_PACKAGES=" + extra, "ALFS_CA_BUNDLE=" + ca_bundle,
                    std::string("ALFS_WITH_ZFS=") + (inputs.zfs ? "1" : "0"), "ALFS_ZFS_CACHE=" + zfs_cache};
  opts.stdout_fd = progress_fd;
  opts.stderr_fd = progress_fd;
  Process build = spawn(opts);
  const std::chrono::minutes limit(inputs.zfs ? 90 : 20);
  auto status = build.wait_for(limit);
  if (!status) {
    build.terminate(std::chrono::seconds(5));
    throw Error("building the guest image timed out after " + std::to_string(limit.count()) + " minutes");
  }
  if (status->code() != 0)
    throw Error("building the guest image failed (" + status->describe() + "); its output is above");
  BuiltFiles files;
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.is_regular_file()) files.emplace_back(entry.path().filename(), open_file(entry.path(), O_RDONLY));
  }
  return files;
}

// Copies `files` into the new directory `dir`, each file created anew (no symlink or
// earlier file there is followed or reused) with the caller's file credentials.
void install_files(const BuiltFiles& files, const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) throw SystemError("cannot create " + dir);
  UniqueFd target = open_file(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  for (const auto& [name, from] : files) {
    struct stat st {};
    if (::fstat(from.get(), &st) != 0) throw SystemError("cannot inspect the built " + name);
    UniqueFd to(
        ::openat(target.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777));
    if (!to) throw SystemError("cannot create " + dir + "/" + name);
    for (off_t offset = 0; offset < st.st_size;) {
      ssize_t n = ::sendfile(to.get(), from.get(), &offset, static_cast<size_t>(st.st_size - offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw SystemError("cannot write " + dir + "/" + name, n == 0 ? EIO : errno);
    }
  }
}

}  // namespace

GuestImage ensure_guest_image(const Paths& paths, bool rebuild, int progress_fd) {
  ImageInputs inputs = image_inputs(paths);
  std::string key = image_key(inputs);
  // The cache is worked on with its owner's credentials: the user's (the process's under
  // sudo), or root's where $ALFS_IMAGE_DIR names it.
  AsRoot cache_is_roots(paths.image_root_is_roots);
  if (!rebuild) {
    if (auto image = find_image(paths.image_root, key)) return *image;
  }
  // Without root a build runs as the user, so it must go to a cache they may write: a
  // shared one ($ALFS_IMAGE_DIR) is filled by its owner.
  if (fs::exists(paths.image_root) && ::access(paths.image_root.c_str(), W_OK) != 0) {
    throw Error("cannot build the guest image in " + paths.image_root +
                ", which you may not write: build it there as its owner (`sudo anylinuxfs init`)" +
                (paths.image_root_is_roots ? ", or unset ALFS_IMAGE_DIR to build your own" : ""));
  }
  make_dirs(paths.image_root, 0755);
  // One build at a time; a second mount waits for the first build and reuses it.
  UniqueFd lock = open_file(paths.image_root + "/.build.lock", O_RDWR | O_CREAT | O_NOFOLLOW, 0644);
  if (::flock(lock.get(), LOCK_EX) != 0) throw SystemError("cannot lock " + paths.image_root);
  if (!rebuild) {
    if (auto image = find_image(paths.image_root, key)) return *image;
  }

  std::string staging = paths.image_root + "/" + key + ".partial";
  std::string final_dir = paths.image_root + "/" + key;
  bool users_cache = acting_for() && !paths.image_root_is_roots;
  BuiltFiles built = build_image(inputs, users_cache ? kRootZfsCache : paths.image_root + "/zfs-modules", progress_fd);
  fs::remove_all(staging);
  install_files(built, staging);
  // Publish atomically; older images of the same variant are of no further use (the
  // other variant's is kept: a user may switch back and forth).
  std::string variant = inputs.zfs ? "zfs" : "default";
  write_file_atomic(staging + "/variant", variant + "\n");
  fs::remove_all(final_dir);
  fs::rename(staging, final_dir);
  for (const auto& entry : fs::directory_iterator(paths.image_root)) {
    if (!entry.is_directory() || entry.path().filename() == key) continue;
    if (!fs::is_regular_file(entry.path() / "manifest.txt")) continue;  // not an image (the ZFS module cache)
    std::string other =
        fs::is_regular_file(entry.path() / "variant") ? read_file((entry.path() / "variant").string()) : "default\n";
    if (other == variant + "\n") fs::remove_all(entry.path());
  }
  auto image = find_image(paths.image_root, key);
  if (!image) throw Error("the guest image build finished but " + final_dir + " is incomplete");
  return *image;
}

}  // namespace alfs
