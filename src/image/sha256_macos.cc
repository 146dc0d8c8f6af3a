#include <CommonCrypto/CommonDigest.h>

#include <algorithm>

#include "image/sha256.h"

namespace alfs {

struct Sha256::State {
  CC_SHA256_CTX ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { CC_SHA256_Init(&state_->ctx); }

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  // CC_LONG is 32 bits wide.
  const auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    CC_LONG chunk = static_cast<CC_LONG>(std::min<size_t>(size, 1u << 30));
    CC_SHA256_Update(&state_->ctx, p, chunk);
    p += chunk;
    size -= chunk;
  }
}

std::array<unsigned char, 32> Sha256::finish() {
  static_assert(CC_SHA256_DIGEST_LENGTH == 32);
  std::array<unsigned char, 32> digest{};
  CC_SHA256_Final(digest.data(), &state_->ctx);
  return digest;
}

}  // namespace alfs
