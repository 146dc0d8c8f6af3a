#include "common/rpc_guard.h"

#include <algorithm>

namespace alfs::rpc {

namespace {

constexpr uint32_t kCall = 0, kReply = 1;
constexpr size_t kMaxFh = 64;           // NFS3_FHSIZE
constexpr size_t kMaxName = 255;        // a file name (NAME_MAX); MOUNT's host names too
constexpr size_t kMaxPath = 4096;       // a symlink's target (PATH_MAX)
constexpr size_t kMaxMountPath = 1024;  // MNTPATHLEN
constexpr size_t kMaxAuth = 400;        // RFC 5531
constexpr size_t kMaxFlavors = 32;
constexpr size_t kMaxPending = 65536;  // calls awaiting their replies
constexpr size_t kMaxFragments = 1024;

uint32_t word(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// Walks an XDR record; the first thing out of place is `error`, and nothing moves after it.
class Xdr {
 public:
  explicit Xdr(std::string_view b) : b_(b) {}
  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }
  uint32_t u32(const char* what) {
    if (!ok()) return 0;
    if (b_.size() - pos_ < 4) return fail(std::string("cut short in ") + what), 0;
    uint32_t v = word(b_, pos_);
    pos_ += 4;
    return v;
  }
  void skip(size_t n, const char* what) {
    if (ok() && b_.size() - pos_ < n) fail(std::string("cut short in ") + what);
    if (ok()) pos_ += n;
  }
  // A variable-length opaque or string of at most `max` bytes, padded to 4.
  void opaque(size_t max, const char* what) {
    uint32_t n = u32(what);
    if (ok() && n > max)
      fail(std::string(what) + " of " + std::to_string(n) + " bytes (at most " + std::to_string(max) + ")");
    skip((static_cast<size_t>(n) + 3) & ~size_t{3}, what);
  }
  bool flag(const char* what) {
    uint32_t v = u32(what);
    if (ok() && v > 1) fail(std::string(what) + " is neither true nor false");
    return v == 1;
  }
  // A linked list (value-follows flags): `entry` walks one entry.
  template <typename Entry>
  void list(const char* what, Entry entry) {
    for (size_t n = 0; ok() && flag(what); ++n) {
      if (n == kMaxListEntries) return fail(std::string("more than ") + std::to_string(kMaxListEntries) + " " + what);
      entry();
    }
  }
  void end() {
    if (ok() && pos_ != b_.size()) fail(std::to_string(b_.size() - pos_) + " bytes after the reply");
  }
  void fail(std::string why) {
    if (ok()) error_ = std::move(why);
  }

 private:
  std::string_view b_;
  size_t pos_ = 0;
  std::string error_;
};

void fattr3(Xdr& x) { x.skip(84, "attributes"); }
void post_op_attr(Xdr& x) {
  if (x.flag("attributes follow")) fattr3(x);
}
void wcc_data(Xdr& x) {
  if (x.flag("pre-op attributes follow")) x.skip(24, "pre-op attributes");
  post_op_attr(x);
}
void fh3(Xdr& x) { x.opaque(kMaxFh, "file handle"); }
void post_op_fh3(Xdr& x) {
  if (x.flag("handle follows")) fh3(x);
}

// NFSv3 results (RFC 1813), after the status: the success arm, else the failure arm.
void nfs_result(Xdr& x, uint32_t proc, bool ok) {
  switch (proc) {
    case 0:  // NULL
      return;
    case 1:  // GETATTR
      if (ok) fattr3(x);
      return;
    case 2:  // SETATTR
      wcc_data(x);
      return;
    case 3:  // LOOKUP
      if (ok) {
        fh3(x);
        post_op_attr(x);
      }
      post_op_attr(x);
      return;
    case 4:  // ACCESS
      post_op_attr(x);
      if (ok) x.u32("access");
      return;
    case 5:  // READLINK
      post_op_attr(x);
      if (ok) x.opaque(kMaxPath, "symlink target");
      return;
    case 6:  // READ
      post_op_attr(x);
      if (ok) {
        uint32_t count = x.u32("count");
        x.flag("eof");
        uint32_t length = x.u32("data");
        if (x.ok() && count != length)
          x.fail("a READ reply counting " + std::to_string(count) + " bytes carries " + std::to_string(length));
        if (x.ok() && length > kMaxReply) x.fail("a READ reply of " + std::to_string(length) + " bytes");
        x.skip((static_cast<size_t>(length) + 3) & ~size_t{3}, "data");
      }
      return;
    case 7:  // WRITE
      wcc_data(x);
      if (ok) x.skip(16, "count, stability and verifier");
      return;
    case 8:
    case 9:
    case 10:
    case 11:  // CREATE, MKDIR, SYMLINK, MKNOD
      if (ok) {
        post_op_fh3(x);
        post_op_attr(x);
      }
      wcc_data(x);
      return;
    case 12:
    case 13:  // REMOVE, RMDIR
      wcc_data(x);
      return;
    case 14:  // RENAME
      wcc_data(x);
      wcc_data(x);
      return;
    case 15:  // LINK
      post_op_attr(x);
      wcc_data(x);
      return;
    case 16:
    case 17:  // READDIR, READDIRPLUS (its entries with attributes and a handle)
      post_op_attr(x);
      if (ok) {
        x.skip(8, "cookie verifier");
        x.list("entries", [&] {
          x.skip(8, "file id");
          x.opaque(kMaxName, "name");
          x.skip(8, "cookie");
          if (proc == 17) {
            post_op_attr(x);
            post_op_fh3(x);
          }
        });
        x.flag("eof");
      }
      return;
    case 18:  // FSSTAT
      post_op_attr(x);
      if (ok) x.skip(52, "filesystem statistics");
      return;
    case 19:  // FSINFO
      post_op_attr(x);
      if (ok) x.skip(48, "filesystem information");
      return;
    case 20:  // PATHCONF
      post_op_attr(x);
      if (ok) x.skip(24, "path configuration");
      return;
    case 21:  // COMMIT
      wcc_data(x);
      if (ok) x.skip(8, "verifier");
      return;
  }
  x.fail("a reply to NFS procedure " + std::to_string(proc));
}

// MOUNT v3 results (RFC 1813, appendix I).
void mount_result(Xdr& x, uint32_t proc) {
  switch (proc) {
    case 0:
    case 3:
    case 4:  // NULL, UMNT, UMNTALL
      return;
    case 1:  // MNT
      if (x.u32("status") == 0) {
        fh3(x);
        uint32_t flavors = x.u32("flavors");
        if (x.ok() && flavors > kMaxFlavors) x.fail(std::to_string(flavors) + " authentication flavors");
        x.skip(static_cast<size_t>(flavors) * 4, "flavors");
      }
      return;
    case 2:  // DUMP
      x.list("mounts", [&] {
        x.opaque(kMaxName, "host name");
        x.opaque(kMaxMountPath, "directory");
      });
      return;
    case 5:  // EXPORT
      x.list("exports", [&] {
        x.opaque(kMaxMountPath, "directory");
        x.list("groups", [&] { x.opaque(kMaxName, "group"); });
      });
      return;
  }
  x.fail("a reply to MOUNT procedure " + std::to_string(proc));
}

}  // namespace

std::string check_reply(uint32_t program, uint32_t procedure, std::string_view reply) {
  Xdr x(reply);
  x.u32("xid");
  if (x.u32("message type") != kReply && x.ok()) x.fail("not a reply");
  uint32_t status = x.u32("reply status");
  if (status == 0) {  // accepted
    x.u32("verifier");
    x.opaque(kMaxAuth, "verifier");
    uint32_t accepted = x.u32("accept status");
    if (accepted == 0) {
      if (program == kNfsProgram && procedure == 0) {
        // NULL: no status, nothing
      } else if (program == kNfsProgram) {
        nfs_result(x, procedure, x.u32("NFS status") == 0);
      } else if (program == kMountProgram) {
        mount_result(x, procedure);
      } else {
        x.fail("a reply to program " + std::to_string(program));
      }
    } else if (accepted == 2) {  // PROG_MISMATCH
      x.skip(8, "versions");
    }
  } else if (status == 1) {  // denied
    x.skip(x.u32("reject status") == 0 ? 8 : 4, "rejection");
  } else if (x.ok()) {
    x.fail("reply status " + std::to_string(status));
  }
  x.end();
  return x.error();
}

bool ReplyGuard::fail(std::string problem) {
  problem_ = std::move(problem);
  return false;
}

bool ReplyGuard::from_client(std::string_view bytes) {
  while (!bytes.empty()) {
    if (call_left_ == 0 && call_marker_.size() < 4) {  // a fragment's marker
      size_t n = std::min(4 - call_marker_.size(), bytes.size());
      call_marker_.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (call_marker_.size() < 4) break;
      uint32_t marker = word(call_marker_, 0);
      call_left_ = marker & 0x7fffffff;
      call_last_ = marker >> 31;
      if (call_left_ == 0) end_of_fragment();
      continue;
    }
    size_t n = std::min(call_left_, bytes.size());
    if (call_head_.size() < kCallHead) {
      call_head_.append(bytes.substr(0, std::min(n, kCallHead - call_head_.size())));
      if (call_head_.size() == kCallHead && !take_call()) return false;
    }
    bytes.remove_prefix(n);
    call_left_ -= n;
    if (call_left_ == 0) end_of_fragment();
  }
  return true;
}

void ReplyGuard::end_of_fragment() {
  call_marker_.clear();
  if (call_last_) call_head_.clear();  // the next fragment starts a record
}

bool ReplyGuard::take_call() {
  uint32_t xid = word(call_head_, 0);
  // Calls to other programs or versions get no place: their replies are refused.
  if (word(call_head_, 4) != kCall || word(call_head_, 8) != 2 || word(call_head_, 16) != 3) return true;
  uint32_t program = word(call_head_, 12);
  if (program != kNfsProgram && program != kMountProgram) return true;
  if (pending_.size() >= kMaxPending)
    return fail("more than " + std::to_string(kMaxPending) + " calls without replies");
  pending_[xid] = Call{program, word(call_head_, 20)};
  return true;
}

bool ReplyGuard::from_server(std::string_view bytes, std::string& pass) {
  reply_in_.append(bytes);
  for (;;) {
    // The fragments of the first record, if it is whole.
    size_t pos = 0, length = 0, fragments = 0;
    bool whole = false;
    while (!whole && reply_in_.size() - pos >= 4) {
      uint32_t marker = word(reply_in_, pos);
      size_t n = marker & 0x7fffffff;
      length += n;
      if (length > kMaxReply) return fail("a reply of more than " + std::to_string(kMaxReply >> 20) + " MiB");
      if (++fragments > kMaxFragments)
        return fail("a reply in more than " + std::to_string(kMaxFragments) + " fragments");
      if (reply_in_.size() - pos - 4 < n) return true;  // the rest is on its way
      pos += 4 + n;
      whole = marker >> 31;
    }
    if (!whole) return true;
    // One fragment (as nfsd sends them) is checked where it lies; several are joined first.
    std::string joined;
    std::string_view record(reply_in_.data() + 4, length);
    if (fragments > 1) {
      joined.reserve(length);
      for (size_t at = 0; at < pos;) {
        size_t n = word(reply_in_, at) & 0x7fffffff;
        joined.append(reply_in_, at + 4, n);
        at += 4 + n;
      }
      record = joined;
    }
    if (record.size() < 4) return fail("a reply without its xid");
    auto call = pending_.find(word(record, 0));
    if (call == pending_.end()) return fail("a reply to no call (xid " + std::to_string(word(record, 0)) + ")");
    Call c = call->second;
    pending_.erase(call);
    if (std::string why = check_reply(c.program, c.procedure, record); !why.empty())
      return fail(std::string("a malformed reply to ") + (c.program == kNfsProgram ? "NFS" : "MOUNT") + " procedure " +
                  std::to_string(c.procedure) + ": " + why);
    // One fragment, whatever the guest made of it.
    uint32_t marker = 0x80000000u | static_cast<uint32_t>(record.size());
    for (int shift = 24; shift >= 0; shift -= 8) pass += static_cast<char>(marker >> shift);
    pass += record;
    reply_in_.erase(0, pos);
  }
}

}  // namespace alfs::rpc
