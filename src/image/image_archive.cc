#include "image/image_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "host/user_files.h"
#include "image/guest_image.h"
#include "image/sha256.h"

namespace alfs {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// An image is about 600 MB: compressing or reading it back takes well under this.
constexpr auto kTarTimeout = 10min;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Runs tar on `stdin_fd` with its output to `stdout_fd` (-1: captured and returned); throws
// with its own message when it fails. tar never opens the user's files itself: they are
// opened here, with the user's file credentials under sudo (host/user_files.h).
std::string run_tar(const std::vector<std::string>& args, const std::string& what, int stdin_fd, int stdout_fd = -1) {
  TempDir scratch("alfs-tar");
  UniqueFd err = open_file(scratch.file("err"), O_RDWR | O_CREAT | O_EXCL, 0600);
  UniqueFd out;
  if (stdout_fd < 0) stdout_fd = (out = open_file(scratch.file("out"), O_RDWR | O_CREAT | O_EXCL, 0600)).get();
  std::vector<std::string> argv{"tar", "--zstd"};
  argv.insert(argv.end(), args.begin(), args.end());
  // Under sudo tar runs as the user: an export's member paths are in the user's cache,
  // and root must not follow a link they swap in once the sums are taken.
  Process tar =
      spawn({.argv = argv, .stdin_fd = stdin_fd, .stdout_fd = stdout_fd, .stderr_fd = err.get(), .user = acting_for()});
  auto status = tar.wait_for(kTarTimeout);
  if (!status) {
    tar.terminate(5s);
    throw Error(what + ": tar did not finish within 10 minutes");
  }
  if (status->code() != 0) {
    std::string message = trimmed(read_file(scratch.file("err")));
    throw Error(what + ": " + (message.empty() ? "tar " + status->describe() : message));
  }
  return out ? read_file(scratch.file("out")) : "";
}

// The directory an import fills before it is renamed into place; removed unless kept.
struct Staging {
  std::string path;
  bool keep = false;
  explicit Staging(const std::string& image_root) {
    std::string pattern = image_root + "/.import-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw SystemError("cannot create a directory in " + image_root);
    path = pattern;
    ::chmod(path.c_str(), 0755);  // mkdtemp's 0700 would keep a shared cache's image from its users
  }
  ~Staging() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

bool is_key(const std::string& key) {
  return key.size() == 16 &&
         std::all_of(key.begin(), key.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string sha256_file(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot read " + path);
    if (n == 0) break;
    sha.update(buf.data(), static_cast<size_t>(n));
  }
  std::string hex;
  for (unsigned char byte : sha.finish()) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 15];
  }
  return hex;
}

void export_image(const std::string& image_dir, const std::string& file) {
  std::string key = fs::path(image_dir).filename();
  TempDir extra("alfs-export");
  write_file_atomic(extra.file("key"), key + "\n");
  std::string sums;
  for (const auto& member : kArchiveMembers) {
    if (member == "SHA256SUMS") continue;
    std::string path = member == "key" ? extra.file("key") : image_dir + "/" + member;
    sums += sha256_file(path) + "  " + member + "\n";
  }
  write_file_atomic(extra.file("SHA256SUMS"), sums);
  std::vector<std::string> args{"-cf", "-", "--owner=0", "--group=0", "--numeric-owner", "-C", extra.path(), "key"};
  args.insert(args.end(), {"-C", image_dir, "variant", "manifest.txt", "kernel", "initrd.img", "rootfs.img"});
  args.insert(args.end(), {"-C", extra.path(), "SHA256SUMS"});
  // Written beside `file` and renamed over it when complete: a failed export leaves no
  // half archive that an import would refuse only later.
  std::string partial = file + ".partial";
  try {
    UniqueFd out = open_file(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    run_tar(args, "cannot export the image to " + file, -1, out.get());
    if (::fsync(out.get()) != 0) throw SystemError("cannot write " + partial);
    fs::rename(partial, file);
  } catch (const SystemError& e) {
    std::error_code ec;
    if (e.code() != EEXIST) fs::remove(partial, ec);
    throw;
  } catch (...) {
    std::error_code ec;
    fs::remove(partial, ec);
    throw;
  }
}

std::string import_image(int archive_fd, const std::string& file, const std::string& image_root) {
  std::string what = "cannot import " + file;
  struct stat st {};
  if (::fstat(archive_fd, &st) != 0) throw SystemError(what);
  if (!S_ISREG(st.st_mode)) throw Error(what + ": it is not a regular file");
  // Each tar reads the archive from its start, through the one open file.
  auto from_start = [&] {
    if (::lseek(archive_fd, 0, SEEK_SET) != 0) throw SystemError(what);
    return archive_fd;
  };
  // Exactly the members an export writes, each once: nothing else is ever read from it.
  std::vector<std::string> names;
  std::istringstream listing(run_tar({"-tf", "-"}, what, from_start()));
  for (std::string line; std::getline(listing, line);) names.push_back(line);
  if (names != kArchiveMembers)
    throw Error(what + ": it is not an anylinuxfs image archive (`image export` writes one)");

  make_dirs(image_root, 0755);
  Staging staging(image_root);
  for (const auto& member : kArchiveMembers) {
    // tar -O writes a member's contents only: no path or link in the archive is followed.
    UniqueFd out = open_file(staging.path + "/" + member, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    run_tar({"-xOf", "-", "--", member}, what, from_start(), out.get());
  }
  std::istringstream sums(read_file(staging.path + "/SHA256SUMS"));
  size_t checked = 0;
  for (std::string line; std::getline(sums, line); ++checked) {
    const std::string& member = kArchiveMembers.at(std::min(checked, kArchiveMembers.size() - 1));
    if (member == "SHA256SUMS" || line.size() != 64 + 2 + member.size() || line.substr(64) != "  " + member)
      throw Error(what + ": its SHA256SUMS does not list the members as `image export` writes them");
    if (sha256_file(staging.path + "/" + member) != line.substr(0, 64))
      throw Error(what + ": " + member + " is damaged (its SHA-256 does not match)");
  }
  if (checked != kArchiveMembers.size() - 1) throw Error(what + ": its SHA256SUMS does not list every member");

  std::string key = trimmed(read_file(staging.path + "/key"));
  if (!is_key(key)) throw Error(what + ": its key is not one anylinuxfs makes");
  int format = guest_image_format(staging.path);
  if (format != kImageFormat)
    throw Error(what + ": it is an image of format " + std::to_string(format) + ", and this anylinuxfs boots format " +
                std::to_string(kImageFormat) +
                "; export one with this version, or build one with `anylinuxfs image build`");
  std::string final_dir = image_root + "/" + key;
  if (fs::exists(final_dir)) throw Error(what + ": the cache already holds image " + key);
  fs::remove(staging.path + "/SHA256SUMS");
  fs::remove(staging.path + "/key");
  write_file_atomic(staging.path + "/imported", file + "\n");
  fs::rename(staging.path, final_dir);
  staging.keep = true;
  return key;
}

}  // namespace alfs
