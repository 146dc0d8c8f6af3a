// SHA-256 from the system's library: OpenSSL's libcrypto on Linux (sha256_linux.cc),
// CommonCrypto, part of libSystem, on macOS (sha256_macos.cc).
#pragma once

#include <array>
#include <cstddef>
#include <memory>

namespace alfs {

class Sha256 {
 public:
  Sha256();  // throws Error when SHA-256 is not available
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  std::array<unsigned char, 32> finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace alfs
