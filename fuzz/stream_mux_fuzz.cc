// The NFS forwards' frames (src/common/stream_mux.h) on any bytes, as either end reads
// them from the link: the host's side reads what a guest, perhaps running a hostile
// disk's code, writes to the port. Fed over a socketpair that then ends, to a mux whose
// opener hands out socketpairs (the guest's side; the host's refuses every open):
//   run() ends with false (the link's end) or alfs::Error (a malformed frame), nothing
//   else; and decode() of every 12 bytes either throws Error or gives back what
//   encode() turns into the same bytes.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "check.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/stream_mux.h"

namespace mux = alfs::mux;

namespace {

void headers(std::string_view bytes) {
  for (size_t at = 0; at + mux::kHeaderSize <= bytes.size(); at += mux::kHeaderSize) {
    mux::FrameHeader h;
    try {
      h = mux::decode(bytes.data() + at);
    } catch (const alfs::Error&) {
      continue;
    }
    auto again = mux::encode(h);
    FUZZ_CHECK(std::memcmp(again.data(), bytes.data() + at, mux::kHeaderSize) == 0, "encode(decode(x)) != x");
  }
}

void carry(std::string_view bytes, bool guest_side) {
  // The peer stays open: what the mux writes back still has somewhere to go.
  FedSocket link = feed_socket(bytes);

  std::vector<alfs::UniqueFd> local_ends;  // the streams' other ends, open until the run is over
  mux::Opener opener;
  if (guest_side) {
    opener = [&](uint16_t, mux::Client) {
      int pair[2];
      if (local_ends.size() >= 64 || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return alfs::UniqueFd();
      local_ends.emplace_back(pair[1]);
      return alfs::UniqueFd(pair[0]);
    };
  }
  mux::StreamMux m({}, opener);
  try {
    FUZZ_CHECK(!m.run(link.ours.get()), "run() said it was stopped");
  } catch (const alfs::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  headers(bytes);
  carry(bytes, /*guest_side=*/true);
  carry(bytes, /*guest_side=*/false);
  return 0;
}
