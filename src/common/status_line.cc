#include "common/status_line.h"

#include "common/fd.h"

namespace alfs {

void StatusLine::update(const std::string& text) {
  if (!terminal_) {
    write_all(fd_, text + "\n");
    return;
  }
  std::string shown = text.size() > kColumns ? text.substr(0, kColumns - 3) + "..." : text;
  write_all(fd_, "\r\033[K" + shown);
  open_ = true;
}

void StatusLine::print(const std::string& text) {
  clear();
  write_all(fd_, text + "\n");
}

void StatusLine::clear() {
  if (open_) write_all(fd_, "\r\033[K");
  open_ = false;
}

void StatusLine::keep() {
  if (open_) write_all(fd_, "\n");
  open_ = false;
}

}  // namespace alfs
