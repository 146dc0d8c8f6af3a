// NFSv3 and MOUNT v3 replies checked before a client reads them. The server is the guest,
// and a disk can take the guest over; the FUSE bridge's client, libnfs 4.0, decodes
// replies with checks a server can defeat (an opaque's length past 2 GiB overflows its
// bound check, a fixed-size field is read past the reply's end, a list recurses once per
// entry: sahlberg/libnfs#308, #591) and then crashes the instance's supervisor. The host
// side of the NFS forwards (common/stream_mux) passes a reply on only once it is whole and
// every field of it is where its procedure says, within bounds; anything else resets the
// stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/stream_mux.h"

namespace alfs::rpc {

inline constexpr uint32_t kNfsProgram = 100003;
inline constexpr uint32_t kMountProgram = 100005;
// A reply's most bytes: nfsd READs 1 MiB at most (guest/agent.cc), with room for the rest.
inline constexpr size_t kMaxReply = 4 << 20;
// Entries of one listing reply (READDIR, READDIRPLUS, EXPORT, DUMP): nfsd sends a few
// hundred in its 64 KiB; libnfs 4.0 recurses once per entry.
inline constexpr size_t kMaxListEntries = 4096;

// "" when `reply` (one RPC record without its marker) is a well-formed reply to procedure
// `procedure` of `program` (version 3), else what is wrong with it.
std::string check_reply(uint32_t program, uint32_t procedure, std::string_view reply);

// One stream's guard: reads the calls to learn each reply's procedure (by xid), holds the
// replies back until each is whole and checked.
class ReplyGuard : public mux::StreamGuard {
 public:
  bool from_client(std::string_view bytes) override;
  bool from_server(std::string_view bytes, std::string& pass) override;
  const std::string& problem() const override { return problem_; }

 private:
  bool fail(std::string problem);
  void end_of_fragment();
  bool take_call();
  // Calls: where the current fragment is, and its record's header once read.
  static constexpr size_t kCallHead = 24;  // xid, CALL, RPC version, program, version, procedure
  std::string call_marker_;                // the current fragment's marker, as it comes
  size_t call_left_ = 0;                   // bytes of the current fragment still to come
  bool call_last_ = false;                 // the current fragment ends its record
  std::string call_head_;                  // the current record's first kCallHead bytes
  struct Call {
    uint32_t program, procedure;
  };
  std::unordered_map<uint32_t, Call> pending_;  // by xid
  // Replies: what came, fragments of a record and what follows.
  std::string reply_in_;
  std::string problem_;
};

}  // namespace alfs::rpc
