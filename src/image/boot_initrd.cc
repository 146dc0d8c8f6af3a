#include "image/boot_initrd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

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

std::string newc_archive(std::string_view name, std::string_view content, unsigned mode) {
  std::string out;
  append_entry(out, name, content, 0100000 | (mode & 0755), 1);
  append_entry(out, "TRAILER!!!", "", 0, 0);
  return out;
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
