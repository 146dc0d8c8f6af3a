#include "nfs/nfs_calls.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/sysmacros.h>
// In this order: each libnfs header needs the ones before it.
// clang-format off
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>
// clang-format on

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/deadline.h"
#include "nfs/nfs_fuse_bridge.h"

namespace alfs::nfs {

using namespace std::chrono_literals;

namespace {

// libnfs 4.0 keeps struct nfs_fh to itself (libnfs-private.h: {int len; char *val;}),
// though nfs_get_fh() hands it out for use with its RPC calls; a length outside what
// NFSv3 allows means this layout no longer holds.
struct LibnfsFh {
  int len;
  char* val;
};

// An enum field as the server sent it: libnfs 4.0 stores any 32-bit value there, which the
// enum's type need not hold.
template <typename Enum>
uint32_t wire_value(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(uint32_t));
  uint32_t v;
  std::memcpy(&v, &field, sizeof v);
  return v;
}

// To the instance log (the supervisor's stderr).
void log_refused(const std::string& what) { std::fprintf(stderr, "nfs: %s\n", what.c_str()); }

// Services the context, as libnfs's synchronous calls do, until `finished()`; false when
// the context failed. libnfs fails a call after its own timeout; this deadline only guards
// against a context that stopped making progress.
bool service_until(nfs_context* nfs, std::chrono::milliseconds timeout, const std::function<bool()>& finished) {
  Deadline deadline(timeout + 5s);
  while (!finished()) {
    if (deadline.expired()) return false;
    pollfd p{nfs_get_fd(nfs), static_cast<short>(nfs_which_events(nfs)), 0};
    int n = ::poll(&p, 1, 100);
    if (n < 0 && errno != EINTR) return false;
    if (nfs_service(nfs, n > 0 ? p.revents : 0) < 0) return false;
  }
  return true;
}

}  // namespace

CheckedRead check_read_reply(const READ3res& reply, uint32_t asked) {
  if (uint32_t status = wire_value(reply.status); status != NFS3_OK)
    return {nfsstat3_to_errno(static_cast<int>(status))};
  const READ3resok& ok = reply.READ3res_u.resok;
  // libnfs 4.0 checks an opaque's length against the reply with a sum that overflows:
  // past 2 GiB, its data_len lies too (found by fuzz/nfs_reply). Within what was asked it holds.
  if (ok.data.data_len > asked)
    return {-EIO, nullptr, false,
            "refused a READ reply carrying " + std::to_string(ok.data.data_len) + " bytes for " +
                std::to_string(asked) + " asked"};
  if (ok.count > ok.data.data_len)
    return {-EIO, nullptr, false,
            "refused a READ reply claiming " + std::to_string(ok.count) + " bytes that carries " +
                std::to_string(ok.data.data_len)};
  return {static_cast<int>(ok.count), ok.data.data_val, ok.eof != 0};
}

struct NfsReads::Call {
  NfsReads& reads;
  uint64_t offset;
  uint32_t asked;
  std::string gathered;  // of a short reply, continued
  std::function<void(int, const char*)> done;
};

int NfsReads::start(uint64_t offset, size_t size, std::function<void(int, const char*)> done) {
  if (size > UINT32_MAX) return -EINVAL;
  auto call = std::make_unique<Call>(Call{*this, offset, static_cast<uint32_t>(size), {}, std::move(done)});
  int r = send(*call);
  if (r == 0) call.release();  // on_reply owns it now
  return r;
}

int NfsReads::send(Call& call) {
  const auto* fh = reinterpret_cast<const LibnfsFh*>(nfs_get_fh(fh_));
  if (fh == nullptr || fh->len <= 0 || fh->len > NFS3_FHSIZE) return -EIO;
  READ3args args{};
  args.file.data.data_len = static_cast<u_int>(fh->len);
  args.file.data.data_val = fh->val;
  args.offset = call.offset + call.gathered.size();
  args.count = call.asked - static_cast<uint32_t>(call.gathered.size());
  return rpc_nfs3_read_async(nfs_get_rpc_context(nfs_), &NfsReads::on_reply, &args, &call) == 0 ? 0 : -ENOMEM;
}

void NfsReads::on_reply(rpc_context*, int status, void* data, void* private_data) {
  std::unique_ptr<Call> call(static_cast<Call*>(private_data));
  if (status != RPC_STATUS_SUCCESS) {
    // As libnfs's own calls report them (fuse_error): a broken connection, a timeout.
    call->done(status == RPC_STATUS_ERROR ? -EFAULT : -EINTR, nullptr);
    return;
  }
  uint32_t wanted = call->asked - static_cast<uint32_t>(call->gathered.size());
  CheckedRead reply = check_read_reply(*static_cast<const READ3res*>(data), wanted);
  if (reply.result < 0) {
    if (!reply.problem.empty()) log_refused(reply.problem);
    call->done(reply.result, nullptr);
    return;
  }
  bool cut_short = reply.result > 0 && static_cast<uint32_t>(reply.result) < wanted && !reply.eof;
  if (!cut_short && call->gathered.empty()) {
    call->done(reply.result, reply.data);  // the common case: no copy here
    return;
  }
  call->gathered.append(reply.data, static_cast<size_t>(reply.result));
  if (cut_short) {
    if (call->reads.send(*call) == 0) {
      call.release();
      return;
    }
    call->done(-ENOMEM, nullptr);
    return;
  }
  call->done(static_cast<int>(call->gathered.size()), call->gathered.data());
}

bool NfsReads::wait(const std::function<bool()>& finished) { return service_until(nfs_, timeout_, finished); }

CheckedWrite check_write_reply(const WRITE3res& reply, uint32_t asked) {
  static_assert(sizeof(WriteVerifier) == NFS3_WRITEVERFSIZE);
  if (uint32_t status = wire_value(reply.status); status != NFS3_OK)
    return {nfsstat3_to_errno(static_cast<int>(status))};
  const WRITE3resok& ok = reply.WRITE3res_u.resok;
  // More than asked is a lie; none at all would make the caller ask again forever.
  if (ok.count > asked || (ok.count == 0 && asked > 0))
    return {-EIO,
            {},
            "refused a WRITE reply saying " + std::to_string(ok.count) + " of " + std::to_string(asked) +
                " bytes were written"};
  CheckedWrite out{static_cast<int>(ok.count)};
  std::memcpy(out.verifier.data(), ok.verf, out.verifier.size());
  return out;
}

int check_commit_reply(const COMMIT3res& reply, const std::optional<WriteVerifier>& written) {
  if (uint32_t status = wire_value(reply.status); status != NFS3_OK) return nfsstat3_to_errno(static_cast<int>(status));
  if (written && std::memcmp(written->data(), reply.COMMIT3res_u.resok.verf, written->size()) != 0) return -EIO;
  return 0;
}

namespace {

// One RPC through the context, waited for as libnfs's synchronous calls wait: `send` starts
// it with on_reply and this as its private data.
struct PendingCall {
  bool done = false;
  int status = RPC_STATUS_SUCCESS;
  std::function<void(void*)> take;  // the reply, on success
  static void on_reply(rpc_context*, int status, void* data, void* private_data) {
    auto& self = *static_cast<PendingCall*>(private_data);
    self.done = true;
    self.status = status;
    if (status == RPC_STATUS_SUCCESS) self.take(data);
  }
  // 0, or -errno as libnfs's own calls report a failed RPC (fuse_error).
  int run(nfs_context* nfs, std::chrono::milliseconds timeout, const std::function<int()>& send) {
    if (send() != 0) return -ENOMEM;
    if (!service_until(nfs, timeout, [this] { return done; })) return -ETIMEDOUT;
    if (status != RPC_STATUS_SUCCESS) return status == RPC_STATUS_ERROR ? -EFAULT : -EINTR;
    return 0;
  }
};

const LibnfsFh* handle_of(nfsfh* fh) {
  const auto* h = reinterpret_cast<const LibnfsFh*>(nfs_get_fh(fh));
  return h != nullptr && h->len > 0 && h->len <= NFS3_FHSIZE ? h : nullptr;
}

}  // namespace

int NfsWrites::write(uint64_t offset, const char* data, size_t size) {
  const LibnfsFh* fh = handle_of(fh_);
  if (fh == nullptr) return -EIO;
  if (size > INT32_MAX) return -EINVAL;
  const uint64_t max = std::max<uint64_t>(nfs_get_writemax(nfs_), 4096);
  size_t written = 0;
  while (written < size) {
    WRITE3args args{};
    args.file.data.data_len = static_cast<u_int>(fh->len);
    args.file.data.data_val = fh->val;
    args.offset = offset + written;
    args.count = static_cast<count3>(std::min<uint64_t>(size - written, max));
    args.stable = file_sync_ ? FILE_SYNC : UNSTABLE;
    args.data.data_len = args.count;
    args.data.data_val = const_cast<char*>(data + written);  // XDR encodes it only
    CheckedWrite reply;
    PendingCall call;
    call.take = [&](void* r) { reply = check_write_reply(*static_cast<const WRITE3res*>(r), args.count); };
    if (int r = call.run(
            nfs_, timeout_,
            [&] { return rpc_nfs3_write_async(nfs_get_rpc_context(nfs_), &PendingCall::on_reply, &args, &call); });
        r < 0)
      return r;
    if (reply.result < 0) {
      if (!reply.problem.empty()) log_refused(reply.problem);
      return reply.result;
    }
    if (!verifier_) verifier_ = reply.verifier;
    if (reply.verifier != *verifier_) return -EIO;  // the server may have lost what it took before
    written += static_cast<size_t>(reply.result);
  }
  return static_cast<int>(written);
}

int NfsWrites::commit() {
  const LibnfsFh* fh = handle_of(fh_);
  if (fh == nullptr) return -EIO;
  COMMIT3args args{};
  args.file.data.data_len = static_cast<u_int>(fh->len);
  args.file.data.data_val = fh->val;
  args.offset = 0;
  args.count = 0;  // the whole file
  int result = 0;
  PendingCall call;
  call.take = [&](void* r) { result = check_commit_reply(*static_cast<const COMMIT3res*>(r), verifier_); };
  if (int r = call.run(
          nfs_, timeout_,
          [&] { return rpc_nfs3_commit_async(nfs_get_rpc_context(nfs_), &PendingCall::on_reply, &args, &call); });
      r < 0)
    return r;
  return result;
}

bool usable_name(std::string_view name) {
  return !name.empty() && name.size() <= NAME_MAX && name.find('/') == std::string_view::npos;
}

bool entry_stat(const post_op_attr& attributes, struct stat& st) {
  if (!attributes.attributes_follow) return false;
  const fattr3& a = attributes.post_op_attr_u.attributes;
  mode_t type = 0;
  switch (wire_value(a.type)) {
    case NF3REG:
      type = S_IFREG;
      break;
    case NF3DIR:
      type = S_IFDIR;
      break;
    case NF3BLK:
      type = S_IFBLK;
      break;
    case NF3CHR:
      type = S_IFCHR;
      break;
    case NF3LNK:
      type = S_IFLNK;
      break;
    case NF3SOCK:
      type = S_IFSOCK;
      break;
    case NF3FIFO:
      type = S_IFIFO;
      break;
    default:
      return false;
  }
  st = {};
  st.st_ino = static_cast<ino_t>(a.fileid);
  // The type from the NFS type alone: stray S_IF* bits in the mode must not mix in.
  st.st_mode = type | (a.mode & 07777);
  st.st_nlink = a.nlink;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_rdev = makedev(a.rdev.specdata1, a.rdev.specdata2);
  st.st_size = static_cast<off_t>(a.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>(a.used / 512 + (a.used % 512 != 0));
  st.st_atim = {static_cast<time_t>(a.atime.seconds), static_cast<long>(a.atime.nseconds)};
  st.st_mtim = {static_cast<time_t>(a.mtime.seconds), static_cast<long>(a.mtime.nseconds)};
  st.st_ctim = {static_cast<time_t>(a.ctime.seconds), static_cast<long>(a.ctime.nseconds)};
  return true;
}

namespace {

// One listing, READDIRPLUS after READDIRPLUS.
class Listing {
 public:
  Listing(nfs_context* nfs, std::vector<DirEntry>& out, size_t max_entries)
      : nfs_(nfs), out_(out), max_entries_(max_entries) {}

  // 0, or -errno with `problem` set when the server misbehaved.
  int run(const LibnfsFh& dir, std::chrono::milliseconds timeout) {
    READDIRPLUS3args args{};
    args.dir.data.data_len = static_cast<u_int>(dir.len);
    args.dir.data.data_val = dir.val;
    args.dircount = 16 * 1024;
    args.maxcount = 64 * 1024;
    for (;;) {
      args.cookie = cookie_;
      std::memcpy(args.cookieverf, verifier_, sizeof verifier_);
      done_ = false;
      if (rpc_nfs3_readdirplus_async(nfs_get_rpc_context(nfs_), &Listing::on_reply, &args, this) != 0) return -ENOMEM;
      if (!service_until(nfs_, timeout, [this] { return done_; })) return -ETIMEDOUT;
      if (result_ != 0 || eof_) return result_;
    }
  }
  size_t refused() const { return refused_; }
  const std::string& problem() const { return problem_; }

 private:
  static void on_reply(rpc_context*, int status, void* data, void* private_data) {
    auto& self = *static_cast<Listing*>(private_data);
    self.done_ = true;
    if (status != RPC_STATUS_SUCCESS) {
      self.result_ = status == RPC_STATUS_ERROR ? -EFAULT : -EINTR;
      return;
    }
    self.take(*static_cast<const READDIRPLUS3res*>(data));
  }

  void take(const READDIRPLUS3res& reply) {
    if (uint32_t status = wire_value(reply.status); status != NFS3_OK) {
      result_ = nfsstat3_to_errno(static_cast<int>(status));
      return;
    }
    const READDIRPLUS3resok& ok = reply.READDIRPLUS3res_u.resok;
    std::memcpy(verifier_, ok.cookieverf, sizeof verifier_);
    eof_ = ok.reply.eof != 0;
    size_t taken = 0;
    for (const entryplus3* next = ok.reply.entries; next != nullptr; ++taken) {
      if (out_.size() + refused_ >= max_entries_) {
        fail("a listing of more than " + std::to_string(max_entries_) + " entries");
        return;
      }
      // A copy: libnfs 4.0 decodes the entries at addresses that are not aligned for them.
      entryplus3 e;
      std::memcpy(&e, next, sizeof e);
      next = e.nextentry;
      cookie_ = e.cookie;
      if (e.name == nullptr || !usable_name(e.name)) {
        ++refused_;
        continue;
      }
      DirEntry entry{e.name, {}, false};
      entry.has_attrs = entry_stat(e.name_attributes, entry.st);
      out_.push_back(std::move(entry));
    }
    if (taken == 0 && !eof_) fail("a READDIRPLUS reply with no entry that is not the end");
  }

  void fail(std::string problem) {
    result_ = -EIO;
    problem_ = std::move(problem);
  }

  nfs_context* nfs_;
  std::vector<DirEntry>& out_;
  size_t max_entries_;
  uint64_t cookie_ = 0;
  char verifier_[NFS3_COOKIEVERFSIZE] = {};
  bool done_ = false;
  bool eof_ = false;
  int result_ = 0;
  size_t refused_ = 0;
  std::string problem_;
};

}  // namespace

int list_directory(nfs_context* nfs, const char* path, std::chrono::milliseconds timeout, std::vector<DirEntry>& out,
                   size_t max_entries) {
  // The directory's handle: libnfs opens a directory as it opens a file.
  nfsfh* dir = nullptr;
  if (int r = nfs_open(nfs, path, O_RDONLY, &dir); r < 0) return fuse_error(r);
  out.clear();
  const auto* fh = reinterpret_cast<const LibnfsFh*>(nfs_get_fh(dir));
  Listing listing(nfs, out, max_entries);
  int r = fh != nullptr && fh->len > 0 && fh->len <= NFS3_FHSIZE ? listing.run(*fh, timeout) : -EIO;
  nfs_close(nfs, dir);
  if (!listing.problem().empty()) log_refused("refused the listing of " + std::string(path) + ": " + listing.problem());
  if (listing.refused() > 0)
    log_refused("left out " + std::to_string(listing.refused()) + " entries of " + path +
                " whose names no directory can hold (empty, with '/', or too long)");
  return r < 0 ? fuse_error(r) : 0;
}

}  // namespace alfs::nfs
