#include "image/build_progress.h"

#include "common/fd.h"
#include "common/printable.h"

namespace alfs {

namespace {

// The terminal line's width: wider text would wrap and the next \r rewrite only its end.
constexpr size_t kColumns = 79;

}  // namespace

void BuildProgress::feed(std::string_view chunk) {
  partial_ += chunk;
  for (size_t nl; (nl = partial_.find_first_of("\r\n")) != std::string::npos;) {
    std::string text = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    if (!text.empty()) line(std::move(text));
  }
}

void BuildProgress::finish() {
  if (!partial_.empty()) line(std::exchange(partial_, ""));
  if (line_open_) write_all(out_fd_, "\n");
  line_open_ = false;
}

std::string BuildProgress::tail() const {
  std::string text;
  for (const auto& l : tail_) text += l + "\n";
  return text;
}

void BuildProgress::line(std::string text) {
  // The build's lines quote Debian's archive and the network: shown, never obeyed.
  text = printable(text);
  tail_.push_back(text);
  if (tail_.size() > kTailLines) tail_.pop_front();
  if (text.starts_with("[") && text.find("] ") != std::string::npos && text.find('/') < text.find("] ")) {
    step_ = text;
    // Each step stays on the screen; what it does is rewritten under it.
    if (terminal_) {
      if (line_open_) write_all(out_fd_, "\r\033[K");
      write_all(out_fd_, text + "\n");
      line_open_ = false;
      return;
    }
  }
  show(text);
}

void BuildProgress::show(const std::string& text) {
  if (!terminal_) {
    write_all(out_fd_, text + "\n");
    return;
  }
  std::string shown = "  " + text;
  if (shown.size() > kColumns) shown = shown.substr(0, kColumns - 3) + "...";
  write_all(out_fd_, "\r\033[K" + shown);
  line_open_ = true;
}

}  // namespace alfs
