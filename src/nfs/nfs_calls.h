// The bridge's NFS calls whose replies it copies bytes from, and its writes. The server is
// the guest, and a disk can take over the guest: what a reply says is checked against what
// it carries and what was asked before anything is copied, and every listing ends. libnfs
// 4.0 does neither: its nfs_pread hands on the reply's count with the data, however few
// bytes the data holds, and its nfs_opendir asks for more entries for as long as the server
// says there are more.
#pragma once

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/dir_handles.h"
#include "nfs/read_ahead.h"

// libnfs types, declared here so that users need not include libnfs.
struct nfs_context;
struct rpc_context;
struct nfsfh;
struct READ3res;
struct WRITE3res;
struct COMMIT3res;
struct post_op_attr;
struct fattr3;

namespace alfs::nfs {

// A READ reply, checked: `result` is the bytes it carries (never more than asked) or
// -errno; `problem` says why the reply was refused, for the log.
struct CheckedRead {
  int result = 0;
  const char* data = nullptr;
  bool eof = false;
  std::string problem;
};
CheckedRead check_read_reply(const READ3res& reply, uint32_t asked);

// ReadAhead's reads of one open file: READs through libnfs's RPC layer, their replies
// checked, completed by servicing the context as libnfs's synchronous calls do. A short
// reply that is not the end of the file is continued with a READ of the rest.
class NfsReads : public AsyncReads {
 public:
  NfsReads(nfs_context* nfs, FileHandle fh, std::chrono::milliseconds timeout)
      : nfs_(nfs), fh_(std::move(fh)), timeout_(timeout) {}
  int start(uint64_t offset, size_t size, std::function<void(int, const char*)> done) override;
  bool wait(const std::function<bool()>& finished) override;

 private:
  struct Call;
  int send(Call& call);
  static void on_reply(::rpc_context* rpc, int status, void* data, void* private_data);
  nfs_context* nfs_;
  FileHandle fh_;
  std::chrono::milliseconds timeout_;
};

// The server's write verifier (NFSv3's writeverf3): it changes when the server may have
// lost data it took unstable (a restart, a writeback error).
using WriteVerifier = std::array<char, 8>;

// A WRITE reply, checked: `result` is the bytes the server took (at least one, never more
// than asked) or -errno; `problem` says why the reply was refused, for the log.
struct CheckedWrite {
  int result = 0;
  WriteVerifier verifier{};
  std::string problem;
};
CheckedWrite check_write_reply(const WRITE3res& reply, uint32_t asked);

// A COMMIT reply: 0 or -errno; -EIO when its verifier is not the one the file's writes
// got (`written`, none: no write through this handle), as the data may be gone.
int check_commit_reply(const COMMIT3res& reply, const std::optional<WriteVerifier>& written);

// The writes of one open file, through libnfs's RPC layer: unstable WRITEs (into the
// guest's page cache; FILE_SYNC for a file opened to write synchronously) and the COMMIT
// that makes them durable. Not nfs_pwrite: it marks
// the handle dirty, and nfs_close then sends a COMMIT of its own, a second flush of the
// guest's disk for every file after the one its close or fsync already made.
class NfsWrites {
 public:
  // file_sync: each WRITE durable before its reply (a file opened O_SYNC or O_DSYNC).
  NfsWrites(nfs_context* nfs, FileHandle fh, std::chrono::milliseconds timeout, bool file_sync)
      : nfs_(nfs), fh_(std::move(fh)), timeout_(timeout), file_sync_(file_sync) {}
  // All of `size` bytes at `offset` (WRITEs of at most the server's wtmax); the count or -errno.
  int write(uint64_t offset, const char* data, size_t size);
  // 0 or -errno.
  int commit();

 private:
  nfs_context* nfs_;
  FileHandle fh_;
  std::chrono::milliseconds timeout_;
  bool file_sync_;
  std::optional<WriteVerifier> verifier_;  // of this handle's first WRITE
};

// Whether a directory entry's name is one a directory can hold: not empty, no '/', at most
// NAME_MAX bytes. The kernel fails a whole FUSE listing on one such name.
bool usable_name(std::string_view name);

struct DirEntry {
  std::string name;
  struct stat st;
  bool has_attrs;  // READDIRPLUS brought its attributes
};

// An entry's attributes as READDIRPLUS brings them; false when it brought none (or of no
// file type), and then only its name is usable.
bool entry_stat(const post_op_attr& attributes, struct stat& out);
bool entry_stat(const fattr3& attributes, struct stat& out);

// The most entries a listing takes: each reply must bring one at least, so a server that
// never says "the end" is stopped here, with EIO (memory: about 200 bytes an entry).
inline constexpr size_t kMaxDirEntries = 1 << 20;

// The entries of directory `dir` (READDIRPLUS, each call within `timeout`), those with
// unusable names left out (and logged, naming the directory `path`); 0 or -errno for FUSE.
int list_directory(nfs_context* nfs, const FileHandle& dir, std::string_view path, std::chrono::milliseconds timeout,
                   std::vector<DirEntry>& out, size_t max_entries = kMaxDirEntries);

// The handle libnfs holds for an open file; empty when it holds none NFSv3 allows.
FileHandle handle_of(nfsfh* fh);
// The handle of `path`, opened and closed through libnfs (the export's root at mount); 0 or -errno.
int open_handle(nfs_context* nfs, const char* path, FileHandle& out);

// A name looked up or made in a directory: its handle, and its attributes when the reply
// brought them.
struct Found {
  FileHandle handle;
  struct stat st {};
  bool has_attrs = false;
};

// NFSv3 calls by handle, where libnfs's path calls would look every component of a path up
// again; each within `timeout`, 0 or -errno as libnfs's own calls report (fuse_error). A
// handle in a reply that NFSv3 does not allow (empty, over 64 bytes) is refused with EIO.
class NfsHandleCalls {
 public:
  NfsHandleCalls(nfs_context* nfs, std::chrono::milliseconds timeout) : nfs_(nfs), timeout_(timeout) {}
  int lookup(const FileHandle& dir, const std::string& name, Found& out);
  int getattr(const FileHandle& fh, struct stat& out);
  // CREATE GUARDED: -EEXIST when the name exists. `mode` is the new file's permission bits.
  int create(const FileHandle& dir, const std::string& name, mode_t mode, Found& out);
  int remove(const FileHandle& dir, const std::string& name);
  // ACCESS for what open(2) `flags` ask (reading, writing): -EACCES when the server grants
  // less, as libnfs's nfs_open does.
  int check_open_access(const FileHandle& fh, int flags);
  // SETATTR of the size alone.
  int truncate(const FileHandle& fh, uint64_t size);

 private:
  nfs_context* nfs_;
  std::chrono::milliseconds timeout_;
};

}  // namespace alfs::nfs
