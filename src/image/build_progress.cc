#include "image/build_progress.h"

#include <utility>

#include "common/printable.h"

namespace alfs {

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
  status_.keep();
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
    status_.print(text);  // each step stays on the screen; what it does is rewritten under it
    return;
  }
  status_.update(status_.terminal() ? "  " + text : text);
}

}  // namespace alfs
