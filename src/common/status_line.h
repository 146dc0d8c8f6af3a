// Progress on the user's terminal: one line rewritten in place (what happens now), and
// lines that stay (a step, a warning) printed above it. Not a terminal: every line is
// printed as it comes, for logs. Text is shown as given: callers make it printable.
#pragma once

#include <string>

namespace alfs {

class StatusLine {
 public:
  StatusLine(int fd, bool terminal) : fd_(fd), terminal_(terminal) {}
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;
  ~StatusLine() { clear(); }

  // What happens now: rewrites the line on a terminal (cut to its width), a line otherwise.
  void update(const std::string& text);
  // A line that stays: above the updating one on a terminal.
  void print(const std::string& text);
  // Leaves the terminal's line empty, for what the caller prints next.
  void clear();
  // Ends the updating line where it is (its text stays).
  void keep();

  bool terminal() const { return terminal_; }

  // The terminal line's width: wider text would wrap, and the next \r rewrite only its end.
  static constexpr size_t kColumns = 79;

 private:
  int fd_;
  bool terminal_;
  bool open_ = false;  // a line is being rewritten
};

}  // namespace alfs
