// Every wait has a deadline.
#pragma once

#include <chrono>

namespace alfs {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Deadline(std::chrono::milliseconds budget) : end_(Clock::now() + budget) {}

  bool expired() const { return Clock::now() >= end_; }
  // Milliseconds left, clamped to [0, INT_MAX] for poll(2).
  int remaining_ms() const;

 private:
  Clock::time_point end_;
};

}  // namespace alfs
