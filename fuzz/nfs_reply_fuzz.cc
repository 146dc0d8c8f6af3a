// The FUSE bridge's handling of NFS replies: the NFS server is the guest, and a disk can
// take over the guest. FakeNfsServer (src/nfs/fake_nfs_server.h) answers on loopback as the
// guest's nfsd and mountd would, except for one procedure, chosen by the first byte, whose
// replies are the rest of the input (after a valid RPC header), and only what the NFS
// forwards' guard passes reaches the client (src/common/rpc_guard.h; in place of a refused
// reply, the client reads a SYSTEM_ERR, where the forwards reset the stream and end the
// instance). Each input mounts the export afresh
// with libnfs as the bridge does and makes the calls whose replies the bridge copies from
// (src/nfs/nfs_calls.h): a READ through NfsReads, a listing (READDIRPLUS), a READLINK, a
// GETATTR. So libnfs 4.0's decoder (which a hostile reply crashes) sees only guarded replies.
//   Nothing crashes (ASan watches our copies, libnfs's own crash as a SEGV); a READ gives
//   at most the bytes asked; every listed name is one a directory can hold; nothing waits
//   for a timeout.
#include <fcntl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

// In this order: each libnfs header needs the ones before it.
// clang-format off
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>
// clang-format on

#include "check.h"
#include "nfs/fake_nfs_server.h"
#include "nfs/nfs_calls.h"
#include "nfs/nfs_fuse_bridge.h"

namespace nfs = alfs::nfs;
using namespace std::chrono_literals;

namespace {

constexpr int kProcedures[] = {NFS3_READ,   NFS3_READDIRPLUS, NFS3_READLINK, NFS3_GETATTR,
                               NFS3_LOOKUP, NFS3_ACCESS,      NFS3_FSINFO};
constexpr auto kTimeout = 2s;

struct ContextDeleter {
  void operator()(nfs_context* nfs) const { nfs_destroy_context(nfs); }
};
using Context = std::unique_ptr<nfs_context, ContextDeleter>;

nfs::FakeNfsServer& server() {
  static auto* s = [] {  // for the fuzzer's life: its thread outlives every input
    auto* server = new nfs::FakeNfsServer();
    server->set_guarded(true);
    return server;
  }();
  return *s;
}

Context mount() {
  Context nfs(nfs_init_context());
  FUZZ_CHECK(nfs != nullptr, "nfs_init_context");
  nfs_set_timeout(nfs.get(), static_cast<int>(std::chrono::milliseconds(kTimeout).count()));
  nfs::NfsTarget target{.host = "127.0.0.1",
                        .nfs_port = server().port(),
                        .mount_port = server().port(),
                        .export_path = nfs::FakeNfsServer::kExport};
  ::nfs_url* url = nfs_parse_url_dir(nfs.get(), nfs::nfs_url(target).c_str());
  FUZZ_CHECK(url != nullptr, "nfs_parse_url_dir");
  int r = nfs_mount(nfs.get(), url->server, url->path);
  nfs_destroy_url(url);
  return r == 0 ? std::move(nfs) : nullptr;
}

void read(nfs_context* nfs) {
  nfsfh* fh = nullptr;
  if (nfs_open(nfs, "/file", O_RDONLY, &fh) != 0) return;
  {
    nfs::NfsReads reads(nfs, nfs::handle_of(fh), kTimeout);
    constexpr size_t kAsked = 64 * 1024;
    bool done = false;
    std::string got;
    int result = 0;
    if (reads.start(0, kAsked, [&](int r, const char* data) {
          done = true;
          result = r;
          if (r > 0) got.assign(data, static_cast<size_t>(r));  // as ReadAhead copies it
        }) == 0) {
      reads.wait([&] { return done; });
      FUZZ_CHECK(result <= static_cast<int>(kAsked), std::to_string(result));
    }
  }
  nfs_close(nfs, fh);
}

void list(nfs_context* nfs) {
  nfs::FileHandle root;
  if (nfs::open_handle(nfs, "/", root) != 0) return;
  std::vector<nfs::DirEntry> entries;
  // A server that never ends a listing is cut off at the bound; a low one keeps each input short.
  if (nfs::list_directory(nfs, root, "/", kTimeout, entries, 256) != 0) return;
  for (const auto& e : entries) FUZZ_CHECK(nfs::usable_name(e.name), e.name);
}

void others(nfs_context* nfs) {
  char* target = nullptr;
  if (nfs_readlink2(nfs, "/link", &target) == 0) std::free(target);
  nfs_stat_64 st{};
  if (nfs_lstat64(nfs, "/file", &st) == 0) nfs::to_stat(st);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  int proc = kProcedures[data[0] % std::size(kProcedures)];
  for (int p : kProcedures) server().set_raw_reply(p, std::nullopt);
  server().set_raw_reply(proc, std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  auto start = std::chrono::steady_clock::now();
  if (Context nfs = mount()) {
    read(nfs.get());
    list(nfs.get());
    others(nfs.get());
  }
  FUZZ_CHECK(std::chrono::steady_clock::now() - start < kTimeout, "a call waited for its timeout");
  return 0;
}
