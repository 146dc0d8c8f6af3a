#include "image/bootstrap_vm.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/fd.h"
#include "common/guest_arch.h"
#include "common/os.h"
#include "common/process.h"
#include "image/boot_initrd.h"
#include "image/build_progress.h"
#include "image/debian_packages.h"
#include "image/image_archive.h"
#include "vm/accel.h"
#include "vm/qemu.h"

namespace alfs {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::map<std::string, ReleaseEntry, std::less<>> release_checksums(std::string_view release) {
  std::map<std::string, ReleaseEntry, std::less<>> entries;
  std::istringstream in{std::string(release)};
  bool in_section = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line[0] != ' ' && line[0] != '\t')) {
      in_section = line == "SHA256:";
      continue;
    }
    if (!in_section) continue;
    std::istringstream fields(line);
    std::string sha, path;
    uint64_t size = 0;
    if (fields >> sha >> size >> path && sha.size() == 64) entries[path] = {sha, size};
  }
  return entries;
}

ArMember ar_member(std::string_view archive, std::string_view prefix) {
  constexpr std::string_view kMagic = "!<arch>\n";
  if (!archive.starts_with(kMagic)) throw Error("not a Debian package (no ar header)");
  for (size_t at = kMagic.size(); at + 60 <= archive.size();) {
    std::string_view header = archive.substr(at, 60);
    if (header.substr(58, 2) != "`\n")
      throw Error("a damaged Debian package (ar member at byte " + std::to_string(at) + ")");
    std::string name(header.substr(0, 16));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name.ends_with('/')) name.pop_back();  // GNU ar's terminator
    uint64_t size = std::strtoull(std::string(header.substr(48, 10)).c_str(), nullptr, 10);
    at += 60;
    if (size > archive.size() - at) throw Error("a truncated Debian package (member " + name + ")");
    if (name.starts_with(prefix)) return {name, archive.substr(at, size)};
    at += size + (size & 1);
  }
  throw Error("a Debian package without its " + std::string(prefix) + " member");
}

std::vector<std::string> module_depends(std::string_view module_file) {
  constexpr std::string_view kKey = std::string_view("\0depends=", 9);
  size_t at = module_file.find(kKey);
  if (at == std::string_view::npos) return {};
  std::string_view list = module_file.substr(at + kKey.size());
  list = list.substr(0, list.find('\0'));
  std::vector<std::string> names;
  for (size_t start = 0; start < list.size();) {
    size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) names.emplace_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

std::vector<std::string> module_load_order(const std::map<std::string, std::vector<std::string>>& depends,
                                           const std::vector<std::string>& wanted) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::function<void(std::string)> visit = [&](std::string name) {
    std::replace(name.begin(), name.end(), '-', '_');
    auto it = depends.find(name);
    if (it == depends.end() || !seen.insert(name).second) return;
    for (const auto& needed : it->second) visit(needed);
    order.push_back(name);
  };
  for (const auto& name : wanted) visit(name);
  return order;
}

std::vector<std::string> bootstrap_packages() {
  // mount: mmdebstrap mounts /proc and /sys in the root; binutils: readelf, with which the
  // script keeps the x86 kernel's PVH entry; the rest are the script's own tools.
  return {"mmdebstrap", "mount", "e2fsprogs", "cpio", "xz-utils", "zstd", "binutils", "gpgv", "debian-archive-keyring"};
}

namespace {

constexpr const char* kSuite = "bookworm";

std::string mirror() {
  const char* env = std::getenv("ALFS_DEBIAN_MIRROR");
  return env && *env ? env : "https://deb.debian.org/debian";
}

void download(const std::string& url, const std::string& file) {
  RunResult r = run_command({"curl", "-fsSL", "--retry", "3", "--connect-timeout", "30", "-o", file, url}, 15min);
  if (!r.ok()) {
    std::string why = r.output.empty() ? r.status.describe() : r.output;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw Error("cannot download " + url + ": " + why);
  }
}

void check_download(const std::string& file, const std::string& url, const std::string& sha256, uint64_t size) {
  if (fs::file_size(file) != size || sha256_file(file) != sha256)
    throw Error("the download of " + url + " does not match the checksum its index gives (a damaged download, or " +
                "a mirror that is not Debian's): nothing was built; try again");
}

// The suite's package index, checked against its InRelease file. With gpgv and Debian's
// keyring on the host, InRelease's signature is checked too; otherwise the index is as
// trustworthy as the TLS connection it came over (and mmdebstrap, in the VM, checks
// everything it fetches against the keyring that came with it).
PackageIndex fetch_index(const std::string& dir, const std::string& deb_arch, int progress_fd) {
  std::string base = mirror() + "/dists/" + kSuite;
  write_all(progress_fd, "anylinuxfs: fetching Debian's package index from " + base + "\n");
  std::string release = dir + "/InRelease";
  download(base + "/InRelease", release);
  const std::string keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
  if (fs::exists(keyring) && !run_command({"sh", "-c", "command -v gpgv"}, 10s).output.empty()) {
    RunResult verified = run_command({"gpgv", "--keyring", keyring, release}, 60s);
    if (!verified.ok()) throw Error("the signature of " + base + "/InRelease does not verify:\n" + verified.output);
  }
  std::string index_path = "main/binary-" + deb_arch + "/Packages.gz";
  auto sums = release_checksums(read_file(release));
  auto entry = sums.find(index_path);
  if (entry == sums.end()) throw Error(base + "/InRelease lists no " + index_path);
  std::string packages = dir + "/Packages.gz";
  download(base + "/" + index_path, packages);
  check_download(packages, base + "/" + index_path, entry->second.sha256, entry->second.size);
  RunResult text = run_command({"gzip", "-dc", packages}, 120s);
  if (!text.ok()) throw Error("cannot decompress " + packages + ": " + text.output);
  return PackageIndex::parse(text.output);
}

std::string fetch_package(const DebianPackage& package, const std::string& dir) {
  std::string url = mirror() + "/" + package.filename;
  std::string file = dir + "/" + fs::path(package.filename).filename().string();
  download(url, file);
  check_download(file, url, package.sha256, package.size);
  return file;
}

// Unpacks a package's files into `dir` (with the host's tar: GNU tar and bsdtar both read
// the xz-compressed data.tar).
void unpack_package(const std::string& deb, const std::string& dir) {
  std::string archive = read_file(deb);
  ArMember data = ar_member(archive, "data.tar");
  std::string tar = dir + "." + data.name;
  write_file_atomic(tar, data.content);
  fs::create_directories(dir);
  RunResult r = run_command({"tar", "-xf", tar, "-C", dir}, 5min);
  fs::remove(tar);
  if (!r.ok()) throw Error("cannot unpack " + deb + ": " + r.output);
}

std::string module_contents(const fs::path& file) {
  std::string name = file.filename();
  if (name.ends_with(".ko")) return read_file(file);
  RunResult r = run_command({name.ends_with(".zst") ? "zstd" : "xz", "-dc", file.string()}, 60s);
  if (!r.ok()) throw Error("cannot decompress " + file.string() + ": " + r.output);
  return r.output;
}

std::string shell_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The initramfs: busybox, the kernel's modules for the VM's disk and network, the
// packages of the build system, the build script and its inputs; /init runs it all.
std::string bootstrap_initramfs(const BootstrapRequest& request, const fs::path& kernel_root, const std::string& kver,
                                const std::string& busybox, const std::vector<std::string>& debs) {
  NewcArchive archive;
  archive.add_file("init", read_file(request.init_script), 0755);
  archive.add_directory("bin");
  archive.add_file("bin/busybox", read_file(busybox), 0755);

  fs::path modules = kernel_root / "lib/modules" / kver;
  std::map<std::string, std::vector<std::string>> depends;
  std::map<std::string, fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(modules)) {
    std::string name = entry.path().filename();
    size_t ko = name.find(".ko");
    if (!entry.is_regular_file() || ko == std::string::npos) continue;
    name.resize(ko);
    std::replace(name.begin(), name.end(), '-', '_');
    files[name] = entry.path();
  }
  std::vector<std::string> wanted = {"virtio_mmio", "virtio_blk", "virtio_net"};
  // Only the modules on the way to those are read (a kernel has thousands).
  std::function<void(const std::string&)> learn = [&](const std::string& name) {
    if (depends.count(name) || !files.count(name)) return;
    auto& needed = depends[name] = module_depends(module_contents(files[name]));
    for (const auto& n : needed) learn(n);
  };
  for (const auto& name : wanted) learn(name);
  archive.add_directory("lib");
  archive.add_directory("lib/modules");
  int index = 10;
  for (const auto& name : module_load_order(depends, wanted))
    archive.add_file("lib/modules/" + std::to_string(index++) + "-" + name + ".ko", module_contents(files[name]), 0644);

  archive.add_directory("debs");
  for (const auto& deb : debs) archive.add_file("debs/" + fs::path(deb).filename().string(), read_file(deb), 0644);

  archive.add_directory("build");
  archive.add_file("build/build-guest-image.sh", read_file(request.build_script), 0755);
  archive.add_file("build/guest-packages.txt", read_file(request.package_list), 0644);
  std::string env;
  for (const auto& assignment : request.script_env) {
    size_t eq = assignment.find('=');
    env += "export " + assignment.substr(0, eq) + "=" + shell_quote(assignment.substr(eq + 1)) + "\n";
  }
  if (!request.ca_bundle.empty()) {
    archive.add_file("build/ca-certificates.crt", read_file(request.ca_bundle), 0644);
    env += "export ALFS_CA_BUNDLE=/build/ca-certificates.crt\n";
  }
  archive.add_file("build/env", env, 0644);
  return archive.finish();
}

}  // namespace

void build_in_bootstrap_vm(const BootstrapRequest& request, const std::string& work_dir, const std::string& out_dir,
                           int progress_fd) {
  fs::create_directories(work_dir);
  vm::HostFacts host = vm::read_host_facts();
  GuestArch arch = guest_arch();
  std::string deb_arch = arch.name == "aarch64" ? "arm64" : "amd64";
  PackageIndex index = fetch_index(work_dir, deb_arch, progress_fd);

  // The kernel's real package: the meta-package's first dependency.
  const DebianPackage* meta = index.find("linux-image-" + deb_arch);
  if (!meta || meta->depends.empty()) throw Error("Debian's index has no linux-image-" + deb_arch);
  const DebianPackage* kernel = index.find(meta->depends.substr(0, meta->depends.find_first_of(" ,(")));
  const DebianPackage* busybox = index.find("busybox-static");
  if (!kernel || !busybox)
    throw Error("Debian's index lacks " + std::string(kernel ? "busybox-static" : meta->depends));
  std::vector<std::string> roots = index.essential();
  for (auto& name : bootstrap_packages()) roots.push_back(std::move(name));
  std::vector<const DebianPackage*> closure = index.resolve(roots);
  uint64_t bytes = kernel->size + busybox->size;
  for (const auto* p : closure) bytes += p->size;
  write_all(progress_fd, "anylinuxfs: downloading " + std::to_string(closure.size() + 2) + " packages (" +
                             std::to_string(bytes >> 20) + " MiB)\n");
  std::string debs_dir = work_dir + "/debs";
  fs::create_directories(debs_dir);
  std::vector<std::string> debs;
  for (const auto* p : closure) debs.push_back(fetch_package(*p, debs_dir));

  std::string kernel_root = work_dir + "/kernel", busybox_root = work_dir + "/busybox";
  unpack_package(fetch_package(*kernel, work_dir), kernel_root);
  unpack_package(fetch_package(*busybox, work_dir), busybox_root);
  std::string kver;
  for (const auto& entry : fs::directory_iterator(kernel_root + "/lib/modules")) kver = entry.path().filename();
  std::string vmlinuz = kernel_root + "/boot/vmlinuz-" + kver;
  if (kver.empty() || !fs::is_regular_file(vmlinuz)) throw Error(kernel->name + " holds no kernel (boot/vmlinuz-*)");
  std::string initramfs = work_dir + "/initramfs.img";
  write_file_atomic(initramfs, bootstrap_initramfs(request, kernel_root, kver, busybox_root + "/bin/busybox", debs));
  fs::remove_all(debs_dir);

  // The VM writes its result here as a tar: sparse, so only what it writes takes space.
  std::string result = work_dir + "/result.tar";
  {
    UniqueFd disk = open_file(result, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (::ftruncate(disk.get(), 4LL << 30) != 0) throw SystemError("cannot size " + result);
  }
  // No image exists yet to probe KVM with: KVM only when $ALFS_ACCEL asks for it (macOS: HVF).
  vm::Accel accel = host.foreign_guest ? vm::Accel::kTcg : vm::choose_accel("", {}, host.os);
  SpawnOptions qemu;
  qemu.argv = {vm::qemu_binary(host), "-name", "anylinuxfs-image-build"};
  for (auto& arg : vm::machine_arguments(host, accel, true)) qemu.argv.push_back(std::move(arg));
  qemu.argv.insert(qemu.argv.end(), {"-m",
                                     "4096",
                                     "-smp",
                                     "2",
                                     "-nodefaults",
                                     "-no-user-config",
                                     "-display",
                                     "none",
                                     "-no-reboot",
                                     "-kernel",
                                     vmlinuz,
                                     "-initrd",
                                     initramfs,
                                     "-append",
                                     "console=" + vm::serial_console(host) + " panic=-1 loglevel=1" +
                                         vm::machine_kernel_parameters(host, accel),
                                     "-serial",
                                     "stdio",
                                     "-netdev",
                                     "user,id=net",
                                     "-device",
                                     "virtio-net-device,netdev=net",
                                     "-drive",
                                     "file=" + result + ",format=raw,if=none,id=result,cache=unsafe",
                                     "-device",
                                     "virtio-blk-device,drive=result"});
  for (auto& arg : vm::sandbox_arguments(host)) qemu.argv.push_back(std::move(arg));
  write_all(progress_fd, "anylinuxfs: starting the build VM (" + kernel->name + ", " +
                             (accel == vm::Accel::kTcg ? "emulated: about 20 minutes" : "a few minutes") + ")\n");
  BuildRun run = run_build(std::move(qemu), request.limit, progress_fd);
  if (run.status.code() != 0) throw run.failure("QEMU " + run.status.describe());

  // Only the named members, each a regular file: the VM's output is not trusted further.
  std::string unpacked = work_dir + "/result";
  fs::create_directories(unpacked);
  RunResult status = run_command({"tar", "-xf", result, "-C", unpacked, "status"}, 60s);
  if (!status.ok() || !fs::is_regular_file(fs::symlink_status(unpacked + "/status")))
    throw run.failure("the build VM stopped without a result");
  std::string code = read_file(unpacked + "/status");
  if (code != "0\n") throw run.failure("the build in the VM failed with exit code " + code.substr(0, code.find('\n')));
  std::vector<std::string> members = {"kernel", "initrd.img", "rootfs.img", "manifest.txt"};
  std::vector<std::string> extract = {"tar", "-xf", result, "-C", out_dir};
  extract.insert(extract.end(), members.begin(), members.end());
  RunResult files = run_command(extract, 5min);
  if (!files.ok()) throw Error("cannot read the image the build VM made: " + files.output);
  for (const auto& member : members) {
    if (!fs::is_regular_file(fs::symlink_status(out_dir + "/" + member)))
      throw Error("the build VM's " + member + " is not a regular file");
  }
}

}  // namespace alfs
