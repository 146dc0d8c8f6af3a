// -q and -v, which every command takes: what a command says about what it did ("unmounted
// /mnt/x", a build's progress) goes out unless -q; the steps it takes are said on standard
// error with -v. The output a command is asked for (status, list, config, log) is not
// what it says: -q leaves it.
#pragma once

#include <cstdio>
#include <string>

#include "common/fd.h"

namespace alfs::cli {

enum class Verbosity { kQuiet, kNormal, kVerbose };

class Say {
 public:
  Say(std::FILE* out, std::FILE* err) : out_(out), err_(err) {}
  void set(Verbosity verbosity) { verbosity_ = verbosity; }
  Verbosity verbosity() const { return verbosity_; }
  bool quiet() const { return verbosity_ == Verbosity::kQuiet; }
  bool verbose() const { return verbosity_ == Verbosity::kVerbose; }

  // What was done, a line on standard output; nothing with -q.
  void done(const std::string& line) const;
  // A step on the way, "anylinuxfs: <step>" on standard error; only with -v.
  void step(const std::string& text) const;
  // Where a long job's progress (an image build's) goes: `fd`, or nowhere with -q.
  int progress_fd(int fd) const;

 private:
  std::FILE* out_;
  std::FILE* err_;
  Verbosity verbosity_ = Verbosity::kNormal;
  mutable UniqueFd null_;  // /dev/null, once -q asks for it
};

// The process's: stdout and stderr, at the verbosity of the command line's -q or -v.
Say& say();

}  // namespace alfs::cli
