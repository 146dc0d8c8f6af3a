// Errors that reach the user: what failed, and why.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace alfs {

// A failure to report to the user as it is (its message names what failed and why).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failed system call: "<what>: <strerror(errno)>".
class SystemError : public Error {
 public:
  SystemError(const std::string& what, int err = errno);
  int code() const { return code_; }

 private:
  int code_;
};

}  // namespace alfs
