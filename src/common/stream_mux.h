// TCP connections carried over one byte stream (QEMU's virtio-serial port "anylinuxfs.net").
// The host side accepts clients on its listeners and opens one stream per client towards
// a guest port; the guest side connects each stream to that port on its own loopback.
// Why: over QEMU's user network the guest's emulated TCP stack handled every 1500-byte,
// checksum-less frame and capped NFS reads near 50 MB/s under TCG; the port moves 32 KiB
// per write (480 MB/s measured), and the guest's loopback TCP costs little.
//
// Frames: a 12-byte little-endian header {stream id u32, type u16, port u16, length u32},
// then `length` bytes of payload (data frames only). Either side may close or reset a stream.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "common/os.h"

namespace alfs::mux {

// kClose ends one direction (a socket's end of file); kReset drops the whole stream
// (a socket failed, or the guest port refused it). kOpenNetwork opens a stream for a
// client from the network (a -b share): the guest connects it from another address, which
// its nfsd exports with root squashed.
enum class FrameType : uint16_t { kOpen = 1, kData = 2, kClose = 3, kReset = 4, kOpenNetwork = 5 };

struct FrameHeader {
  uint32_t stream = 0;
  FrameType type = FrameType::kData;
  uint16_t port = 0;    // kOpen: the guest port the stream goes to
  uint32_t length = 0;  // kData: payload bytes that follow
  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

inline constexpr size_t kHeaderSize = 12;
inline constexpr uint32_t kMaxPayload = 64 * 1024;

std::array<char, kHeaderSize> encode(const FrameHeader& header);
// Throws Error on an unknown type, a payload on a non-data frame or one over kMaxPayload:
// the two ends are out of step and the link cannot go on.
FrameHeader decode(const char* bytes);

// The host side listens: each accepted client becomes a stream to `guest_port`.
struct Listener {
  UniqueFd fd;
  uint16_t guest_port = 0;
};

// Who a client of the host side is, as its admission decided (vm/admission.h): one of the
// instance's own (its user, root), or a peer on the network that a share lets in.
enum class Client { kRefused, kLocal, kNetwork };
// The host side's check of each accepted client before anything reaches the other side;
// kRefused closes it at once. Null: every client is kLocal.
using Admit = std::function<Client(int fd)>;

// The guest side connects a new stream's local end; an invalid fd refuses the stream.
using Opener = std::function<UniqueFd(uint16_t port, Client client)>;

// The host side may check what a stream carries from the guest before its client reads it
// (common/rpc_guard.h: NFS replies).
class StreamGuard {
 public:
  virtual ~StreamGuard() = default;
  // What the client sent (passed on as it is); false: the stream is reset, quietly (a
  // local client's doing, not the guest's).
  virtual bool from_client(std::string_view bytes) = 0;
  // What the guest sent; appends to `pass` what the client may read now. False: refuse
  // the stream (it is reset, with problem() for the log).
  virtual bool from_server(std::string_view bytes, std::string& pass) = 0;
  virtual const std::string& problem() const = 0;
};
// A guard for each new stream to `guest_port` (null: none); `refused` hears why the guest's
// bytes were refused (the stream is reset).
struct Guards {
  std::function<std::unique_ptr<StreamGuard>(uint16_t guest_port)> make;
  std::function<void(const std::string&)> refused;
};

class StreamMux {
 public:
  StreamMux(std::vector<Listener> listeners, Opener opener, Guards guards = {}, Admit admit = nullptr);
  ~StreamMux();
  StreamMux(const StreamMux&) = delete;
  StreamMux& operator=(const StreamMux&) = delete;

  // Carries streams over `link` until the link ends (end of file or an error: returns
  // false) or stop() is called (returns true). Every stream is closed on return; the
  // listeners stay, their clients waiting for the next run. Throws Error when the peer
  // sends a malformed frame.
  bool run(int link);
  // From any thread: makes run() return, now and whenever it is called again.
  void stop();

 private:
  class Session;
  std::vector<Listener> listeners_;
  Opener opener_;
  Guards guards_;
  Admit admit_;
  PollEvent stop_event_;
};

}  // namespace alfs::mux
