#include "vm/accel.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/error.h"

namespace alfs::vm {

Accel choose_accel(const std::string& probe_file) {
  const char* forced = std::getenv("ALFS_ACCEL");
  std::string value = forced ? forced : "auto";
  if (value == "kvm") return Accel::kKvm;
  if (value == "tcg") return Accel::kTcg;
  if (value != "auto") throw Error("ALFS_ACCEL='" + value + "': expected kvm, tcg or auto");
  int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Accel::kTcg;
  ::close(fd);
  std::ifstream probe(probe_file);
  std::string verdict;
  probe >> verdict;
  return verdict == "kvm-boots" ? Accel::kKvm : Accel::kTcg;
}

}  // namespace alfs::vm
