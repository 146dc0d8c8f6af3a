#include "image/guest_image.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>

#include "common/deadline.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/os.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "config/config.h"
#include "host/user_files.h"
#include "image/bootstrap_vm.h"
#include "image/build_progress.h"

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

ImageInputs image_inputs(const Paths& paths, bool zfs) {
  ImageInputs inputs{paths.share_dir + "/build-guest-image.sh", paths.share_dir + "/guest-packages.txt"};
  Config config = load_config(default_config_files(paths.home));
  inputs.extra_packages = config.custom_packages;
  inputs.zfs = config.zfs || zfs;
  inputs.arch = guest_arch();
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
  if (inputs.arch.foreign) h = fnv1a(h, "arch " + inputs.arch.name + '\0');
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

// A manifest.txt line "<name> <value>"; empty when there is none.
std::string manifest_value(const std::string& dir, const std::string& name) {
  std::error_code ec;
  if (!fs::is_regular_file(dir + "/manifest.txt", ec)) return "";
  std::istringstream lines(read_file(dir + "/manifest.txt"));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(name + " ", 0) == 0) return line.substr(name.size() + 1);
  return "";
}

std::string variant_of(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir + "/variant", ec)) return "default";
  std::string v = read_file(dir + "/variant");
  while (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

// The image directories of the cache (a manifest.txt: not the ZFS module cache, not a
// build or import in progress).
std::vector<fs::path> image_dirs(const std::string& image_root) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(image_root, ec)) {
    std::string name = entry.path().filename();
    if (name.starts_with('.') || name.ends_with(".partial") || !entry.is_directory()) continue;
    if (fs::is_regular_file(entry.path() / "manifest.txt")) dirs.push_back(entry.path());
  }
  return dirs;
}

}  // namespace

int guest_image_format(const std::string& dir) {
  std::string value = manifest_value(dir, "format");
  if (value.empty()) return 1;
  try {
    return std::stoi(value);
  } catch (const std::exception&) {
    return 0;  // unreadable: no format this CLI boots
  }
}

std::optional<GuestImage> usable_image(const std::string& image_root, const std::string& key, bool zfs,
                                       const std::string& arch) {
  if (auto image = find_image(image_root, key)) return image;
  std::optional<GuestImage> newest;
  fs::file_time_type newest_time;
  for (const auto& dir : image_dirs(image_root)) {
    if (!fs::is_regular_file(dir / "imported") || variant_of(dir) != (zfs ? "zfs" : "default") ||
        guest_image_format(dir) != kImageFormat || manifest_value(dir, "arch") != arch)
      continue;
    auto image = find_image(image_root, dir.filename());
    auto time = fs::last_write_time(dir / "imported");
    if (image && (!newest || time > newest_time)) newest = image, newest_time = time;
  }
  return newest;
}

namespace {

// Root's alone: root owns it, it is no symlink, and neither group nor others may write it.
bool roots_alone(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && st.st_uid == 0 && !S_ISLNK(st.st_mode) && (st.st_mode & 022) == 0;
}

}  // namespace

std::optional<GuestImage> trusted_system_image(const std::string& system_root, const std::string& key, bool zfs,
                                               const std::string& arch) {
  if (system_root.empty()) return std::nullopt;
  auto image = usable_image(system_root, key, zfs, arch);
  if (!image) return std::nullopt;
  for (const fs::path& p : {fs::path(system_root).parent_path(), fs::path(system_root), fs::path(image->dir),
                            fs::path(image->kernel), fs::path(image->initrd), fs::path(image->rootfs)})
    if (!roots_alone(p)) return std::nullopt;
  return image;
}

std::optional<GuestImage> current_image(const Paths& paths, const ImageInputs& inputs) {
  std::string key = image_key(inputs);
  if (auto image = usable_image(paths.image_root, key, inputs.zfs, inputs.arch.name)) return image;
  return trusted_system_image(paths.system_image_root, key, inputs.zfs, inputs.arch.name);
}

std::vector<ImageEntry> list_images(const Paths& paths) {
  auto current = current_image(paths, image_inputs(paths));
  std::vector<ImageEntry> entries;
  for (const std::string& root : {paths.image_root, paths.system_image_root}) {
    if (root.empty()) continue;
    std::vector<ImageEntry> of_root;
    for (const auto& dir : image_dirs(root)) {
      ImageEntry e;
      e.cache = root;
      e.key = dir.filename();
      e.variant = variant_of(dir);
      e.arch = manifest_value(dir, "arch");
      e.kernel = manifest_value(dir, "kernel");
      e.built = manifest_value(dir, "built");
      e.format = guest_image_format(dir);
      e.imported = fs::is_regular_file(dir / "imported");
      e.in_use = current && current->dir == dir.string();
      for (const auto& f : fs::directory_iterator(dir))
        if (f.is_regular_file()) e.size_bytes += f.file_size();
      of_root.push_back(std::move(e));
    }
    std::sort(of_root.begin(), of_root.end(), [](const auto& a, const auto& b) { return a.built > b.built; });
    entries.insert(entries.end(), of_root.begin(), of_root.end());
  }
  return entries;
}

void remove_image(const std::string& image_root, const std::string& key) {
  for (const auto& dir : image_dirs(image_root)) {
    if (dir.filename() != key) continue;
    fs::remove_all(dir);
    return;
  }
  throw Error("no image " + key + " in " + image_root + " (see `anylinuxfs image list`)");
}

namespace {

// Where the compiled ZFS modules are kept when the image cache is the user's: the build
// (root's) writes there, so not in the user's home.
constexpr const char* kRootZfsCache = "/var/cache/anylinuxfs/zfs-modules";

using BuiltFiles = std::vector<std::pair<std::string, UniqueFd>>;  // name, open for reading

// How long a build may take before it is stopped; a second process waits as long for it.
// A foreign architecture's maintainer scripts run emulated (qemu-user): several times slower.
// A build in the bootstrap VM runs emulated where there is no KVM or HVF.
std::chrono::minutes build_time_limit(const ImageInputs& inputs, bool in_vm) {
  return std::chrono::minutes((inputs.zfs ? 90 : 20) * (inputs.arch.foreign ? 3 : 1) * (in_vm ? 4 : 1));
}

// Why the build script cannot build here (no mmdebstrap, a user without a subordinate id
// range or user namespaces, no binfmt_misc handler for a foreign guest), or "" when it can.
std::string cannot_build_on_host(const ImageInputs& inputs) {
  RunResult check = run_command({"sh", inputs.build_script, "--check"}, std::chrono::seconds(30),
                                {"ALFS_GUEST_ARCH=" + inputs.arch.name});
  if (check.ok()) return "";
  std::string why = check.output.empty() ? check.status.describe() : check.output;
  while (!why.empty() && why.back() == '\n') why.pop_back();
  return why;
}

// Takes the variant's build lock: at once, or after another process's build of it, saying
// so (a mount would otherwise sit silent for minutes).
UniqueFd lock_build(const std::string& image_root, const std::string& variant, const ImageInputs& inputs,
                    int progress_fd) {
  std::string file = image_root + "/.build-" + variant + ".lock";
  UniqueFd lock = open_file(file, O_RDWR | O_CREAT | O_NOFOLLOW, 0644);
  // As long as the slowest build may take: which way the other one builds is not known.
  Deadline deadline(build_time_limit(inputs, true) + std::chrono::minutes(1));
  for (bool said = false; ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0;) {
    if (errno != EWOULDBLOCK) throw SystemError("cannot lock " + file);
    if (deadline.expired())
      throw Error("another anylinuxfs has been building the " + variant + " guest image in " + image_root +
                  " for longer than a build may take: see which one holds " + file + " (fuser " + file + ")");
    if (!said) {
      write_all(progress_fd, "anylinuxfs: another anylinuxfs is building the " + variant + " guest image in " +
                                 image_root + "; waiting for it\n");
      said = true;
    }
    ::poll(nullptr, 0, 200);
  }
  return lock;
}

// Runs the build script and returns its output files open; the directory is gone. Under
// sudo it runs as root in a new directory of root's (in the user's home they could swap
// a path under it); a user without root runs it as themselves, and the script builds in
// a user namespace of theirs.
BuiltFiles build_image(const ImageInputs& inputs, const std::string& zfs_cache, int progress_fd) {
  AsRoot root;
  TempDir work("alfs-image-build");
  std::string out = work.file("image"), ca_bundle;
  if (!inputs.ca_bundle.empty()) write_file_atomic(ca_bundle = work.file("ca-certificates.crt"), inputs.ca_bundle);
  std::string extra;
  for (const auto& package : inputs.extra_packages) extra += (extra.empty() ? "" : ",") + package;
  std::vector<std::string> env = {"ALFS_EXTRA_PACKAGES=" + extra,
                                  std::string("ALFS_WITH_ZFS=") + (inputs.zfs ? "1" : "0"),
                                  "ALFS_GUEST_ARCH=" + inputs.arch.name};
  if (std::string why = cannot_build_on_host(inputs); !why.empty()) {
    write_all(progress_fd, "anylinuxfs: the guest image cannot be built on this host (" + why +
                               "): it is built in a VM of its own instead, from Debian's kernel and packages\n");
    // The ZFS modules are compiled in the VM each time: its disks do not outlive it.
    env.push_back("ALFS_ZFS_CACHE=/var/cache/anylinuxfs/zfs-modules");
    if (const char* mirror = std::getenv("ALFS_DEBIAN_MIRROR"))
      env.push_back("ALFS_DEBIAN_MIRROR=" + std::string(mirror));
    BootstrapRequest request{inputs.build_script,
                             inputs.package_list,
                             (fs::path(inputs.build_script).parent_path() / "bootstrap-vm-init.sh").string(),
                             env,
                             ca_bundle,
                             build_time_limit(inputs, true)};
    fs::create_directories(out);
    build_in_bootstrap_vm(request, work.file("vm"), out, progress_fd);
  } else {
    write_all(progress_fd, inputs.zfs ? "anylinuxfs: building the guest image with ZFS (Debian bookworm; zfs-dkms "
                                        "compiles its modules once: about 8 minutes)\n"
                                      : "anylinuxfs: building the guest image (Debian bookworm, about a minute)\n");
    if (inputs.arch.foreign)
      write_all(progress_fd, "anylinuxfs: for " + inputs.arch.name +
                                 " guests: its packages' scripts run emulated (qemu-user), about 15 minutes\n");
    SpawnOptions opts;
    opts.argv = {"sh", inputs.build_script, out, inputs.package_list};
    env.insert(env.end(), {"ALFS_CA_BUNDLE=" + ca_bundle, "ALFS_ZFS_CACHE=" + zfs_cache});
    opts.extra_env = env;
    BuildRun run = run_build(std::move(opts), build_time_limit(inputs, false), progress_fd);
    if (run.status.code() != 0) throw run.failure(run.status.describe());
  }
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
      ssize_t n = copy_file_bytes(to.get(), from.get(), &offset, static_cast<size_t>(st.st_size - offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw SystemError("cannot write " + dir + "/" + name, n == 0 ? EIO : errno);
    }
  }
}

}  // namespace

GuestImage built_guest_image(const Paths& paths, bool zfs) {
  AsRoot cache_is_roots(paths.image_root_is_roots);
  if (auto image = current_image(paths, image_inputs(paths, zfs))) return *image;
  std::string where = paths.image_root + (paths.system_image_root.empty() ? "" : " or " + paths.system_image_root);
  throw Error("no guest image in " + where +
              " for this anylinuxfs, and this mount does not build one (it takes minutes): build it with "
              "`anylinuxfs image build`, or as root with `anylinuxfs image build --system` for every user");
}

GuestImage ensure_guest_image(const Paths& paths, bool rebuild, int progress_fd, bool zfs) {
  ImageInputs inputs = image_inputs(paths, zfs);
  std::string key = image_key(inputs);
  // The cache is worked on with its owner's credentials: the user's (the process's under
  // sudo), or root's where $ALFS_IMAGE_DIR names it.
  AsRoot cache_is_roots(paths.image_root_is_roots);
  if (!rebuild) {
    if (auto image = current_image(paths, inputs)) return *image;
  }
  // Without root a build runs as the user, so it must go to a cache they may write: a
  // shared one ($ALFS_IMAGE_DIR) is filled by its owner.
  if (fs::exists(paths.image_root) && ::access(paths.image_root.c_str(), W_OK) != 0) {
    throw Error("cannot build the guest image in " + paths.image_root +
                ", which you may not write: build it there as its owner (`sudo anylinuxfs image build`)" +
                (paths.image_root_is_roots ? ", or unset ALFS_IMAGE_DIR to build your own" : ""));
  }
  make_dirs(paths.image_root, 0755);
  // One build of a variant at a time: a second mount waits for the first build and
  // reuses it. The variants build side by side, each touching only its own directories:
  // a ZFS build (many minutes) holds up no mount of the default image.
  std::string variant = inputs.zfs ? "zfs" : "default";
  UniqueFd lock = lock_build(paths.image_root, variant, inputs, progress_fd);
  if (!rebuild) {
    if (auto image = usable_image(paths.image_root, key, inputs.zfs, inputs.arch.name)) return *image;
  }

  std::string staging = paths.image_root + "/" + key + ".partial";
  std::string final_dir = paths.image_root + "/" + key;
  bool users_cache = acting_for() && !paths.image_root_is_roots;
  BuiltFiles built = build_image(inputs, users_cache ? kRootZfsCache : paths.image_root + "/zfs-modules", progress_fd);
  fs::remove_all(staging);
  install_files(built, staging);
  // Publish atomically; older images of the same variant and architecture are of no further
  // use (the other variant's and the other architecture's are kept: a user may switch back
  // and forth). An image whose manifest names no architecture is the machine's.
  write_file_atomic(staging + "/variant", variant + "\n");
  fs::remove_all(final_dir);
  fs::rename(staging, final_dir);
  for (const auto& entry : fs::directory_iterator(paths.image_root)) {
    if (!entry.is_directory() || entry.path().filename() == key) continue;
    if (entry.path().filename().string().ends_with(".partial")) continue;  // the other variant's build
    if (!fs::is_regular_file(entry.path() / "manifest.txt")) continue;     // not an image (the ZFS module cache)
    if (fs::exists(entry.path() / "imported")) continue;                   // the user's own, kept until `image remove`
    std::string other =
        fs::is_regular_file(entry.path() / "variant") ? read_file((entry.path() / "variant").string()) : "default\n";
    std::string arch = manifest_value(entry.path().string(), "arch");
    bool same_arch = arch.empty() ? !inputs.arch.foreign : arch == inputs.arch.name;
    if (other == variant + "\n" && same_arch) fs::remove_all(entry.path());
  }
  auto image = find_image(paths.image_root, key);
  if (!image) throw Error("the guest image build finished but " + final_dir + " is incomplete");
  return *image;
}

}  // namespace alfs
