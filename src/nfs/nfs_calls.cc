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

bool usable_handle(std::string_view fh) { return !fh.empty() && fh.size() <= NFS3_FHSIZE; }

// A handle as the XDR encoder takes it (which only reads it).
nfs_fh3 wire(const FileHandle& fh) {
  nfs_fh3 out{};
  out.data.data_len = static_cast<u_int>(fh.size());
  out.data.data_val = const_cast<char*>(fh.data());
  return out;
}

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
  if (!usable_handle(fh_)) return -EIO;
  READ3args args{};
  args.file = wire(fh_);
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

// One NFS procedure: `send` (an rpc_nfs3_*_async of libnfs) with `args`; `take` reads the
// reply. 0 or -errno of the RPC itself.
template <typename Args>
int call_rpc(nfs_context* nfs, std::chrono::milliseconds timeout, int (*send)(rpc_context*, rpc_cb, Args*, void*),
             Args& args, std::function<void(void*)> take) {
  PendingCall call;
  call.take = std::move(take);
  return call.run(nfs, timeout, [&] { return send(nfs_get_rpc_context(nfs), &PendingCall::on_reply, &args, &call); });
}

}  // namespace

FileHandle handle_of(nfsfh* fh) {
  const auto* h = reinterpret_cast<const LibnfsFh*>(nfs_get_fh(fh));
  if (h == nullptr || h->len <= 0 || h->len > NFS3_FHSIZE) return {};
  return FileHandle(h->val, static_cast<size_t>(h->len));
}

int open_handle(nfs_context* nfs, const char* path, FileHandle& out) {
  nfsfh* fh = nullptr;
  if (int r = nfs_open(nfs, path, O_RDONLY, &fh); r < 0) return r;
  out = handle_of(fh);
  nfs_close(nfs, fh);
  return out.empty() ? -EIO : 0;
}

int NfsWrites::write(uint64_t offset, const char* data, size_t size) {
  if (!usable_handle(fh_)) return -EIO;
  if (size > INT32_MAX) return -EINVAL;
  const uint64_t max = std::max<uint64_t>(nfs_get_writemax(nfs_), 4096);
  size_t written = 0;
  while (written < size) {
    WRITE3args args{};
    args.file = wire(fh_);
    args.offset = offset + written;
    args.count = static_cast<count3>(std::min<uint64_t>(size - written, max));
    args.stable = file_sync_ ? FILE_SYNC : UNSTABLE;
    args.data.data_len = args.count;
    args.data.data_val = const_cast<char*>(data + written);  // XDR encodes it only
    CheckedWrite reply;
    if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_write_async, args,
                         [&](void* r) { reply = check_write_reply(*static_cast<const WRITE3res*>(r), args.count); });
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
  if (!usable_handle(fh_)) return -EIO;
  COMMIT3args args{};
  args.file = wire(fh_);
  args.offset = 0;
  args.count = 0;  // the whole file
  int result = 0;
  if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_commit_async, args,
                       [&](void* r) { result = check_commit_reply(*static_cast<const COMMIT3res*>(r), verifier_); });
      r < 0)
    return r;
  return result;
}

bool usable_name(std::string_view name) {
  return !name.empty() && name.size() <= NAME_MAX && name.find('/') == std::string_view::npos;
}

bool entry_stat(const post_op_attr& attributes, struct stat& st) {
  return attributes.attributes_follow && entry_stat(attributes.post_op_attr_u.attributes, st);
}

bool entry_stat(const fattr3& a, struct stat& st) {
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
  int run(const FileHandle& dir, std::chrono::milliseconds timeout) {
    READDIRPLUS3args args{};
    args.dir = wire(dir);
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

int list_directory(nfs_context* nfs, const FileHandle& dir, std::string_view path, std::chrono::milliseconds timeout,
                   std::vector<DirEntry>& out, size_t max_entries) {
  out.clear();
  Listing listing(nfs, out, max_entries);
  int r = usable_handle(dir) ? listing.run(dir, timeout) : -EIO;
  const std::string where(path);
  if (!listing.problem().empty()) log_refused("refused the listing of " + where + ": " + listing.problem());
  if (listing.refused() > 0)
    log_refused("left out " + std::to_string(listing.refused()) + " entries of " + where +
                " whose names no directory can hold (empty, with '/', or too long)");
  return r < 0 ? fuse_error(r) : 0;
}

namespace {

// A reply's status: 0, or -errno.
template <typename Enum>
int status_errno(const Enum& status) {
  const uint32_t v = wire_value(status);
  return v == NFS3_OK ? 0 : nfsstat3_to_errno(static_cast<int>(v));
}

// A handle a reply carries: the server's, when NFSv3 allows it.
int take_handle(const nfs_fh3& fh, const char* call, FileHandle& out) {
  if (fh.data.data_len == 0 || fh.data.data_len > NFS3_FHSIZE || fh.data.data_val == nullptr) {
    log_refused("refused a " + std::string(call) + " reply with a handle of " + std::to_string(fh.data.data_len) +
                " bytes");
    return -EIO;
  }
  out.assign(fh.data.data_val, fh.data.data_len);
  return 0;
}

diropargs3 where(const FileHandle& dir, const std::string& name) {
  diropargs3 out{};
  out.dir = wire(dir);
  out.name = const_cast<char*>(name.c_str());
  return out;
}

}  // namespace

int NfsHandleCalls::lookup(const FileHandle& dir, const std::string& name, Found& out) {
  if (!usable_handle(dir)) return -EIO;
  LOOKUP3args args{};
  args.what = where(dir, name);
  int result = 0;
  if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_lookup_async, args,
                       [&](void* r) {
                         const auto& reply = *static_cast<const LOOKUP3res*>(r);
                         if ((result = status_errno(reply.status)) != 0) return;
                         const LOOKUP3resok& ok = reply.LOOKUP3res_u.resok;
                         result = take_handle(ok.object, "LOOKUP", out.handle);
                         out.has_attrs = entry_stat(ok.obj_attributes, out.st);
                       });
      r < 0)
    return r;
  return result;
}

int NfsHandleCalls::getattr(const FileHandle& fh, struct stat& out) {
  if (!usable_handle(fh)) return -EIO;
  GETATTR3args args{};
  args.object = wire(fh);
  int result = 0;
  if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_getattr_async, args,
                       [&](void* r) {
                         const auto& reply = *static_cast<const GETATTR3res*>(r);
                         if ((result = status_errno(reply.status)) != 0) return;
                         if (!entry_stat(reply.GETATTR3res_u.resok.obj_attributes, out)) {
                           log_refused("refused a GETATTR reply of no file type");
                           result = -EIO;
                         }
                       });
      r < 0)
    return r;
  return result;
}

int NfsHandleCalls::create(const FileHandle& dir, const std::string& name, mode_t mode, Found& out) {
  if (!usable_handle(dir)) return -EIO;
  CREATE3args args{};
  args.where = where(dir, name);
  args.how.mode = GUARDED;
  sattr3& attrs = args.how.createhow3_u.g_obj_attributes;
  attrs.mode.set_it = 1;
  attrs.mode.set_mode3_u.mode = mode & 07777;
  int result = 0;
  bool has_handle = false;
  if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_create_async, args,
                       [&](void* r) {
                         const auto& reply = *static_cast<const CREATE3res*>(r);
                         if ((result = status_errno(reply.status)) != 0) return;
                         const CREATE3resok& ok = reply.CREATE3res_u.resok;
                         if (ok.obj.handle_follows) {
                           has_handle = true;
                           result = take_handle(ok.obj.post_op_fh3_u.handle, "CREATE", out.handle);
                         }
                         out.has_attrs = entry_stat(ok.obj_attributes, out.st);
                       });
      r < 0)
    return r;
  // NFSv3 lets a server leave the new file's handle out of the reply; Linux's nfsd does not.
  if (result == 0 && !has_handle) return lookup(dir, name, out);
  return result;
}

int NfsHandleCalls::remove(const FileHandle& dir, const std::string& name) {
  if (!usable_handle(dir)) return -EIO;
  REMOVE3args args{};
  args.object = where(dir, name);
  int result = 0;
  if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_remove_async, args,
                       [&](void* r) { result = status_errno(static_cast<const REMOVE3res*>(r)->status); });
      r < 0)
    return r;
  return result;
}

int NfsHandleCalls::check_open_access(const FileHandle& fh, int flags) {
  if (!usable_handle(fh)) return -EIO;
  ACCESS3args args{};
  args.object = wire(fh);
  const int mode = flags & O_ACCMODE;
  if (mode == O_RDONLY || mode == O_RDWR) args.access |= ACCESS3_READ;
  if (mode == O_WRONLY || mode == O_RDWR) args.access |= ACCESS3_MODIFY | ACCESS3_EXTEND;
  int result = 0;
  if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_access_async, args,
                       [&](void* r) {
                         const auto& reply = *static_cast<const ACCESS3res*>(r);
                         if ((result = status_errno(reply.status)) != 0) return;
                         if ((reply.ACCESS3res_u.resok.access & args.access) != args.access) result = -EACCES;
                       });
      r < 0)
    return r;
  return result;
}

int NfsHandleCalls::truncate(const FileHandle& fh, uint64_t size) {
  if (!usable_handle(fh)) return -EIO;
  SETATTR3args args{};
  args.object = wire(fh);
  args.new_attributes.size.set_it = 1;
  args.new_attributes.size.set_size3_u.size = size;
  int result = 0;
  if (int r = call_rpc(nfs_, timeout_, rpc_nfs3_setattr_async, args,
                       [&](void* r) { result = status_errno(static_cast<const SETATTR3res*>(r)->status); });
      r < 0)
    return r;
  return result;
}

}  // namespace alfs::nfs
