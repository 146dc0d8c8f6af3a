#include "image/boot_initrd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "common/error.h"
#include "common/fd.h"

namespace alfs {

namespace {

void pad4(std::string& out) { out.append((4 - out.size() % 4) % 4, '\0'); }

// A newc header: the magic and 13 fields of 8 hex digits (see the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst).
void append_entry(std::string& out, std::string_view name, std::string_view content, unsigned mode, unsigned ino) {
  char header[111];
  std::snprintf(header, sizeof header, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, 0u, 0u,
                1u, 0u, static_cast<unsigned>(content.size()), 0u, 0u, 0u, 0u, static_cast<unsigned>(name.size() + 1),
                0u);
  out.append(header, 110);
  out.append(name);
  out.push_back('\0');
  pad4(out);
  out.append(content);
  pad4(out);
}

}  // namespace

void NewcArchive::add_directory(std::string_view name) { append_entry(out_, name, "", 040755, ino_++); }

void NewcArchive::add_file(std::string_view name, std::string_view content, unsigned mode) {
  append_entry(out_, name, content, 0100000 | (mode & 0755), ino_++);
}

std::string NewcArchive::finish() {
  append_entry(out_, "TRAILER!!!", "", 0, 0);
  return std::move(out_);
}

std::string newc_archive(std::string_view name, std::string_view content, unsigned mode) {
  NewcArchive archive;
  archive.add_file(name, content, mode);
  return archive.finish();
}

std::string write_boot_initrd(const std::string& image_initrd, const std::string& agent_binary,
                              const std::string& dir) {
  std::string agent = read_file(agent_binary);
  std::string path = dir + "/initrd.img";
  UniqueFd out = open_file(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  // The image's archive is padded to cpio's 512-byte blocks, so the agent's starts aligned.
  write_all(out.get(), read_file(image_initrd));
  write_all(out.get(), newc_archive(kInitrdAgentName, agent, 0755));
  return path;
}

}  // namespace alfs
