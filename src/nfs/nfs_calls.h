// The bridge's NFS calls whose replies it copies bytes from. The server is the guest, and
// a disk can take over the guest: what a reply says is checked against what it carries
// and what was asked before anything is copied, and every listing ends. libnfs 4.0 does
// neither: its nfs_pread hands on the reply's count with the data, however few bytes the
// data holds, and its nfs_opendir asks for more entries for as long as the server says
// there are more.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/read_ahead.h"

// libnfs types, declared here so that users need not include libnfs.
struct nfs_context;
struct rpc_context;
struct nfsfh;
struct READ3res;
struct post_op_attr;

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
  NfsReads(nfs_context* nfs, nfsfh* fh, std::chrono::milliseconds timeout) : nfs_(nfs), fh_(fh), timeout_(timeout) {}
  int start(uint64_t offset, size_t size, std::function<void(int, const char*)> done) override;
  bool wait(const std::function<bool()>& finished) override;

 private:
  struct Call;
  int send(Call& call);
  static void on_reply(::rpc_context* rpc, int status, void* data, void* private_data);
  nfs_context* nfs_;
  nfsfh* fh_;
  std::chrono::milliseconds timeout_;
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

// The most entries a listing takes: each reply must bring one at least, so a server that
// never says "the end" is stopped here, with EIO (memory: about 200 bytes an entry).
inline constexpr size_t kMaxDirEntries = 1 << 20;

// The entries of directory `path` (READDIRPLUS, each call within `timeout`), those with
// unusable names left out (and logged); 0 or -errno for FUSE.
int list_directory(nfs_context* nfs, const char* path, std::chrono::milliseconds timeout, std::vector<DirEntry>& out,
                   size_t max_entries = kMaxDirEntries);

}  // namespace alfs::nfs
