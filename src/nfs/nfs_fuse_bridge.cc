#include "nfs/nfs_fuse_bridge.h"

#define FUSE_USE_VERSION 31

#include <fcntl.h>
#include <fuse.h>
#include <fuse_log.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "common/deadline.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "nfs/nfs_calls.h"
#include "nfs/read_ahead.h"

namespace alfs::nfs {

using namespace std::chrono_literals;

namespace {

// Largest FUSE write; libnfs splits it into WRITEs of the server's wtmax.
constexpr unsigned kMaxWrite = 1024 * 1024;
// AUTH_SYS carries at most 16 supplementary groups.
constexpr size_t kMaxAuthGroups = 16;
// Failed reconnects in a row before libnfs fails the calls instead of retrying
// forever (its default); the count restarts once connected again, as it must since
// nfsd closes idle connections.
constexpr int kReconnectAttempts = 3;
// How long the kernel keeps a name's entry and attributes, and the bridge a directory's
// handle: a change made in the guest shows within this.
constexpr auto kEntryTimeout = 1s;

const char* error_text(nfs_context* nfs) {
  const char* text = nfs_get_error(nfs);
  return text != nullptr && *text != '\0' ? text : "unknown error";
}

struct NfsContextDeleter {
  void operator()(nfs_context* nfs) const { nfs_destroy_context(nfs); }
};
using NfsContextPtr = std::unique_ptr<nfs_context, NfsContextDeleter>;

struct NfsUrlDeleter {
  void operator()(::nfs_url* url) const { nfs_destroy_url(url); }
};

// State of one open file: fi->fh points to it.
struct OpenFile {
  // `flags` as open(2) took them: O_SYNC and O_DSYNC make every write durable at once.
  OpenFile(nfs_context* nfs, FileHandle fh, std::chrono::milliseconds timeout, int flags)
      : handle(fh), writes(nfs, std::move(fh), timeout, (flags & O_DSYNC) != 0) {}
  FileHandle handle;
  NfsWrites writes;
  // Written since the last COMMIT: close() commits like a kernel NFS client, so data
  // an application has closed survives the VM being killed.
  bool dirty = false;
  // Made at the first read; gone (its reads completed) before the file is closed.
  std::unique_ptr<NfsReads> reads;
  std::unique_ptr<ReadAhead> ahead;
  // CREATE's reply, for libfuse's getattr right after it.
  std::optional<struct stat> created;
};

OpenFile& file_of(const fuse_file_info* fi) { return *reinterpret_cast<OpenFile*>(fi->fh); }

// A directory listing read at opendir, so readdir offsets stay stable across calls.
struct DirListing {
  std::vector<DirEntry> entries;
  bool served = false;  // a later readdir at offset 0 is a rewinddir: list again
};

DirListing& listing_of(const fuse_file_info* fi) { return *reinterpret_cast<DirListing*>(fi->fh); }

bool is_dot_or_dotdot(const std::string& name) { return name == "." || name == ".."; }

struct Credentials {
  uid_t uid;
  gid_t gid;
  std::array<uint32_t, kMaxAuthGroups> groups{};
  uint32_t group_count = 0;
  bool operator==(const Credentials&) const = default;
};

// libfuse reports why a mount failed only through its log function: collect the
// messages for the exception while mount() runs.
class FuseLogCapture {
 public:
  FuseLogCapture() {
    target_ = &text_;
    fuse_set_log_func(&append);
  }
  ~FuseLogCapture() {
    fuse_set_log_func(nullptr);  // back to libfuse's stderr logger
    target_ = nullptr;
  }
  FuseLogCapture(const FuseLogCapture&) = delete;
  FuseLogCapture& operator=(const FuseLogCapture&) = delete;

  std::string text(const char* fallback) const { return text_.empty() ? fallback : text_; }

 private:
  static void append(enum fuse_log_level, const char* fmt, va_list ap) {
    char line[1024];
    std::vsnprintf(line, sizeof line, fmt, ap);
    std::string message(line);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (message.empty() || target_ == nullptr) return;
    if (!target_->empty()) *target_ += "; ";
    *target_ += message;
  }

  static inline std::string* target_ = nullptr;
  std::string text_;
};

struct FuseArgs {
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  FuseArgs() = default;
  FuseArgs(const FuseArgs&) = delete;
  FuseArgs& operator=(const FuseArgs&) = delete;
  ~FuseArgs() { fuse_opt_free_args(&args); }
  void add(const std::string& arg) {
    if (fuse_opt_add_arg(&args, arg.c_str()) != 0) throw Error("out of memory building FUSE arguments");
  }
};

class Bridge final : public NfsFuseBridge {
 public:
  static std::unique_ptr<NfsFuseBridge> create(const NfsTarget& target, const FuseOptions& options) {
    // A READ's reply (up to 1 MiB) is a block of its own: by glibc's defaults each is
    // mapped and unmapped anew (and the heap's top given back), so every read faults in
    // fresh pages, which this host (itself a VM) pays dearly for: reads at 0.55x. glibc
    // raises both thresholds itself once a large block is freed, which a booted guest's
    // 7.5 MB initrd did by chance in this process; fixed, they keep freed blocks for reuse.
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
    NfsContextPtr nfs = connect(target);
    FileHandle root;
    if (int r = open_handle(nfs.get(), "/", root); r < 0) {
      throw Error("cannot open the root of NFS export " + target.export_path + ": " + std::strerror(-fuse_error(r)));
    }
    std::unique_ptr<Bridge> bridge(new Bridge(std::move(nfs), std::move(root), options.mount_point, target.timeout_ms));
    bridge->mount_fuse(options);
    return bridge;
  }

  ~Bridge() override {
    if (fuse_ == nullptr) return;
    if (!detached_) fuse_unmount(fuse_);  // lazy; a no-op when run() already unmounted
    // Unlinks the .fuse_hidden files of files unlinked while open, so nfs_ (destroyed
    // after this body) must still be there.
    fuse_destroy(fuse_);
  }

  int run() override {
    fuse_session* se = fuse_get_session(fuse_);
    const int fuse_fd = fuse_session_fd(se);
    fuse_buf buf{};  // libfuse allocates buf.mem on the first receive
    int result = 0;
    while (!fuse_session_exited(se)) {
      // Polling the wake-up eventfd next to /dev/fuse lets request_exit() end the loop
      // even while files stay open (a lazy unmount alone would not end the session).
      pollfd fds[2] = {{fuse_fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        result = -errno;
        break;
      }
      if (fds[1].revents != 0) break;
      if (fds[0].revents == 0) continue;
      const int n = fuse_session_receive_buf(se, &buf);
      if (n == -EINTR || n == -EAGAIN) continue;  // request gone before we read it
      if (n <= 0) {                               // 0: unmounted from outside
        result = n;
        break;
      }
      fuse_session_process_buf(se, &buf);
    }
    std::free(buf.mem);
    // Closes /dev/fuse (pending and later accesses fail instead of hanging) and
    // detaches the mount lazily. After release_now(), fuse_destroy() closes it.
    if (!detached_) fuse_unmount(fuse_);
    return result;
  }

  void release_now() override {
    if (!detached_.exchange(true)) {
      // By path, as libfuse would; its own unmount also closes /dev/fuse, which the
      // serving thread may be using right now.
      if (::geteuid() == 0) {
        ::umount2(mount_point_.c_str(), MNT_DETACH);
      } else {
        run_command({"fusermount3", "-u", "-q", "-z", "--", mount_point_}, 10s);
      }
    }
    request_exit();
  }

  // The guest is gone: calls would only wait for their timeouts.
  bool lost() const { return detached_; }

  void request_exit() override {
    const int saved_errno = errno;  // may run in a signal handler
    fuse_exit(fuse_);
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
    errno = saved_errno;
  }

  nfs_context* nfs() const { return nfs_.get(); }
  std::chrono::milliseconds timeout() const { return timeout_; }
  NfsHandleCalls& calls() { return calls_; }
  DirHandles& dirs() { return dirs_; }

  // Changes made through the mount, which read-ahead data must not outlive.
  ChangeLog& changes() { return changes_; }

  // The bridge serving the current FUSE request, with the NFS credentials switched to
  // the caller's (as a kernel NFS client would send them): files created through an
  // allow_other mount belong to whoever created them.
  static Bridge& for_request() {
    const fuse_context* ctx = fuse_get_context();
    Bridge& self = *static_cast<Bridge*>(ctx->private_data);
    // pid 0: no process behind the call (kernel writeback, fuse_destroy unlinking
    // hidden files); keep the identity in use.
    if (ctx->pid != 0) self.use_credentials_of(*ctx);
    return self;
  }

 private:
  Bridge(NfsContextPtr nfs, FileHandle root, std::string mount_point, int timeout_ms)
      : nfs_(std::move(nfs)),
        timeout_(timeout_ms),
        calls_(nfs_.get(), timeout_),
        dirs_(
            std::move(root),
            [this](const FileHandle& dir, const std::string& name, FileHandle& out) {
              Found found;
              const int r = calls_.lookup(dir, name, found);
              out = std::move(found.handle);
              return r;
            },
            kEntryTimeout),
        mount_point_(std::move(mount_point)),
        wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wake_) throw SystemError("eventfd");
  }

  static NfsContextPtr connect(const NfsTarget& target) {
    NfsContextPtr nfs(nfs_init_context());
    if (!nfs) throw Error("cannot create an NFS client context (out of memory)");
    // libnfs takes whole seconds only.
    nfs_set_timeout(nfs.get(), (target.timeout_ms + 999) / 1000 * 1000);
    // Directory listings are read fresh on every opendir: the libnfs cache would hand
    // out entry attributes that went stale while the directory's mtime did not change.
    nfs_set_dircache(nfs.get(), 0);
    // The kernel has applied the caller's umask already.
    nfs_umask(nfs.get(), 0);

    const std::string url = nfs_url(target);
    std::unique_ptr<::nfs_url, NfsUrlDeleter> parsed(nfs_parse_url_dir(nfs.get(), url.c_str()));
    if (!parsed) throw Error("invalid NFS URL " + url + ": " + error_text(nfs.get()));
    if (nfs_mount(nfs.get(), parsed->server, parsed->path) != 0) {
      std::string reason = error_text(nfs.get());
      // What libnfs's sync layer says when the TCP connection was refused or dropped.
      if (reason == "nfs_service failed") reason = "connection refused or closed by the server";
      throw Error("cannot mount NFS export " + target.export_path + " from " + target.host + " (nfsd port " +
                  std::to_string(target.nfs_port) + ", mountd port " + std::to_string(target.mount_port) +
                  "): " + reason);
    }
    nfs_set_autoreconnect(nfs.get(), kReconnectAttempts);
    return nfs;
  }

  void mount_fuse(const FuseOptions& options) {
    FuseArgs args;
    args.add("anylinuxfs");
    args.add("-o");
    args.add(fuse_mount_options(options));

    FuseLogCapture log;
    const fuse_operations ops = operations();
    fuse_ = fuse_new(&args.args, &ops, sizeof ops, this);
    if (fuse_ == nullptr) {
      throw Error("cannot set up FUSE for " + mount_point_ + ": " + log.text("fuse_new failed"));
    }
    if (fuse_mount(fuse_, mount_point_.c_str()) != 0) {
      throw Error("cannot mount FUSE at " + mount_point_ + ": " + log.text("fuse_mount failed"));
    }
    // libfuse may hand over a /dev/fuse fd without close-on-exec (via fusermount3);
    // a copy inherited by a child would keep the session alive after we close ours.
    // Non-blocking, because a request can vanish between poll() and read().
    const int fd = fuse_session_fd(fuse_get_session(fuse_));
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) throw SystemError("fcntl(/dev/fuse, FD_CLOEXEC)");
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      throw SystemError("fcntl(/dev/fuse, O_NONBLOCK)");
    }
  }

  void use_credentials_of(const fuse_context& ctx) {
    Credentials wanted{ctx.uid, ctx.gid};
    gid_t groups[kMaxAuthGroups];
    const int n = fuse_getgroups(static_cast<int>(kMaxAuthGroups), groups);
    if (n > 0) {
      wanted.group_count = static_cast<uint32_t>(std::min<size_t>(static_cast<size_t>(n), kMaxAuthGroups));
      std::copy_n(groups, wanted.group_count, wanted.groups.begin());
    }
    if (credentials_ == wanted) return;
    AUTH* auth = libnfs_authunix_create("anylinuxfs", wanted.uid, wanted.gid, wanted.group_count, wanted.groups.data());
    if (auth == nullptr) return;  // out of memory: keep the previous identity
    nfs_set_auth(nfs_.get(), auth);
    credentials_ = wanted;
  }

  static fuse_operations operations();

  NfsContextPtr nfs_;
  std::chrono::milliseconds timeout_;
  NfsHandleCalls calls_;
  DirHandles dirs_;
  ChangeLog changes_;
  std::string mount_point_;
  UniqueFd wake_;                      // eventfd written by request_exit()
  std::atomic<bool> detached_{false};  // by release_now()
  fuse* fuse_ = nullptr;
  std::optional<Credentials> credentials_;
};

int status(int r) { return r < 0 ? fuse_error(r) : 0; }

// Operations. Paths are absolute within the export, as libnfs expects them. Paths
// name inodes, never symlinks to follow: hence the l* variants of libnfs calls.

void* op_init(fuse_conn_info* conn, fuse_config* cfg) {
  // st_ino is the NFS fileid, so hard links look alike to du, find and tar.
  cfg->use_ino = 1;
  cfg->entry_timeout = std::chrono::duration<double>(kEntryTimeout).count();
  cfg->attr_timeout = std::chrono::duration<double>(kEntryTimeout).count();
  cfg->negative_timeout = 0;
  conn->max_write = kMaxWrite;
  return fuse_get_context()->private_data;
}

int op_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  Bridge& b = Bridge::for_request();
  if (fi != nullptr) {
    OpenFile& file = file_of(fi);
    if (file.created) {
      *st = *file.created;
      file.created.reset();
      return 0;
    }
    return status(b.calls().getattr(file.handle, *st));
  }
  if (std::string_view(path) == "/") {
    return status(b.dirs().in_dir("/", [&](const FileHandle& root) { return b.calls().getattr(root, *st); }));
  }
  // One LOOKUP in the parent, whose reply carries the attributes.
  return status(b.dirs().in_parent(path, [&](const FileHandle& dir, const std::string& name) {
    Found found;
    int r = b.calls().lookup(dir, name, found);
    if (r == 0) {
      if (found.has_attrs) {
        *st = found.st;
      } else {
        r = b.calls().getattr(found.handle, *st);
      }
    }
    return r;
  }));
}

int op_readlink(const char* path, char* buf, size_t size) {
  Bridge& b = Bridge::for_request();
  char* target = nullptr;
  const int r = nfs_readlink2(b.nfs(), path, &target);
  std::unique_ptr<char, decltype(&std::free)> owned(target, &std::free);
  if (r < 0) return fuse_error(r);
  // FUSE wants it NUL-terminated and silently truncated, like readlink(2).
  const size_t n = std::min(std::strlen(target), size - 1);
  std::memcpy(buf, target, n);
  buf[n] = '\0';
  return 0;
}

int op_mknod(const char* path, mode_t mode, dev_t dev) {
  Bridge& b = Bridge::for_request();
  return status(nfs_mknod(b.nfs(), path, static_cast<int>(mode), static_cast<int>(dev)));
}

int op_mkdir(const char* path, mode_t mode) {
  Bridge& b = Bridge::for_request();
  return status(nfs_mkdir2(b.nfs(), path, static_cast<int>(mode & 07777)));
}

int op_unlink(const char* path) {
  Bridge& b = Bridge::for_request();
  // fuse_destroy() unlinks the .fuse_hidden files of files unlinked while open.
  if (b.lost()) return -EIO;
  return status(b.dirs().in_parent(
      path, [&](const FileHandle& dir, const std::string& name) { return b.calls().remove(dir, name); }));
}

int op_rmdir(const char* path) {
  Bridge& b = Bridge::for_request();
  b.dirs().forget(path);
  return status(nfs_rmdir(b.nfs(), path));
}

int op_symlink(const char* target, const char* link_path) {
  Bridge& b = Bridge::for_request();
  return status(nfs_symlink(b.nfs(), target, link_path));
}

int op_rename(const char* from, const char* to, unsigned int flags) {
  if (flags != 0) return -EINVAL;  // NFSv3 has no RENAME_NOREPLACE/EXCHANGE; callers fall back
  Bridge& b = Bridge::for_request();
  b.changes().changed_all();
  // Before and after: the directory handles under either name no longer hold.
  b.dirs().forget(from);
  b.dirs().forget(to);
  const int r = nfs_rename(b.nfs(), from, to);
  b.dirs().forget(from);
  b.dirs().forget(to);
  return status(r);
}

int op_link(const char* from, const char* to) {
  Bridge& b = Bridge::for_request();
  b.changes().changed_all();  // the file's data now changes under another name too
  return status(nfs_link(b.nfs(), from, to));
}

int op_chmod(const char* path, mode_t mode, fuse_file_info*) {
  Bridge& b = Bridge::for_request();
  // By path even for an open file: libfuse keeps its path valid (renaming it to
  // .fuse_hidden* when it is unlinked).
  return status(nfs_lchmod(b.nfs(), path, static_cast<int>(mode & 07777)));
}

int op_chown(const char* path, uid_t uid, gid_t gid, fuse_file_info*) {
  Bridge& b = Bridge::for_request();
  // (uid_t)-1 / (gid_t)-1 mean "leave unchanged", which libnfs understands as -1.
  // By path, as chmod.
  return status(nfs_lchown(b.nfs(), path, static_cast<int>(uid), static_cast<int>(gid)));
}

int op_truncate(const char* path, off_t size, fuse_file_info* fi) {
  Bridge& b = Bridge::for_request();
  const auto length = static_cast<uint64_t>(size);
  b.changes().changed(path);
  return status(fi != nullptr ? b.calls().truncate(file_of(fi).handle, length) : nfs_truncate(b.nfs(), path, length));
}

// What libnfs's nfs_open sends, by the parent's handle: LOOKUP, ACCESS for the flags (the
// server's word, ACLs included), and SETATTR of the size for O_TRUNC.
int open_existing(Bridge& b, const FileHandle& dir, const std::string& name, int flags, Found& found) {
  int r = b.calls().lookup(dir, name, found);
  if (r == 0) r = b.calls().check_open_access(found.handle, flags);
  if (r == 0 && (flags & O_TRUNC)) r = b.calls().truncate(found.handle, 0);
  return r;
}

int op_open(const char* path, fuse_file_info* fi) {
  Bridge& b = Bridge::for_request();
  if (fi->flags & O_TRUNC) b.changes().changed(path);
  Found found;
  if (int r = b.dirs().in_parent(path,
                                 [&](const FileHandle& dir, const std::string& name) {
                                   return open_existing(b, dir, name, fi->flags, found);
                                 });
      r < 0)
    return fuse_error(r);
  fi->fh = reinterpret_cast<uint64_t>(new OpenFile(b.nfs(), std::move(found.handle), b.timeout(), fi->flags));
  return 0;
}

int op_create(const char* path, mode_t mode, fuse_file_info* fi) {
  Bridge& b = Bridge::for_request();
  if (fi->flags & O_TRUNC) b.changes().changed(path);
  // The kernel asks to create a name it found missing, so first as a new file (GUARDED,
  // by the parent's handle): O_TRUNC would cost a SETATTR, which a sync export commits to
  // the disk. Only a file made meanwhile by someone else is opened as asked.
  Found found;
  bool made = true;
  int r = b.dirs().in_parent(path, [&](const FileHandle& dir, const std::string& name) {
    int r = b.calls().create(dir, name, mode, found);
    if (r == -EEXIST && !(fi->flags & O_EXCL)) {
      made = false;
      r = open_existing(b, dir, name, fi->flags, found);
    }
    return r;
  });
  if (r < 0) return fuse_error(r);
  auto file = std::make_unique<OpenFile>(b.nfs(), std::move(found.handle), b.timeout(), fi->flags);
  if (made && found.has_attrs) file->created = found.st;
  fi->fh = reinterpret_cast<uint64_t>(file.release());
  return 0;
}

int op_read(const char* path, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  Bridge& b = Bridge::for_request();
  OpenFile& file = file_of(fi);
  if (!file.ahead) {
    file.reads = std::make_unique<NfsReads>(b.nfs(), file.handle, b.timeout());
    file.ahead = std::make_unique<ReadAhead>(*file.reads);
  }
  const int r = file.ahead->read(static_cast<uint64_t>(offset), size, buf, b.changes().generation(path));
  return r < 0 ? fuse_error(r) : r;
}

int op_write(const char* path, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  Bridge& b = Bridge::for_request();
  OpenFile& file = file_of(fi);
  b.changes().changed(path);
  const int r = file.writes.write(static_cast<uint64_t>(offset), buf, size);
  if (r < 0) return fuse_error(r);
  file.dirty = true;
  return r;
}

// With the caller's credentials in use (Bridge::for_request).
int commit(OpenFile& file) {
  if (int r = file.writes.commit(); r < 0) return fuse_error(r);
  file.dirty = false;
  return 0;
}

int op_statfs(const char* path, struct statvfs* out) {
  Bridge& b = Bridge::for_request();
  nfs_statvfs_64 s{};
  if (int r = nfs_statvfs64(b.nfs(), path, &s); r < 0) return fuse_error(r);
  out->f_bsize = s.f_bsize;
  out->f_frsize = s.f_frsize;
  out->f_blocks = s.f_blocks;
  out->f_bfree = s.f_bfree;
  out->f_bavail = s.f_bavail;
  out->f_files = s.f_files;
  out->f_ffree = s.f_ffree;
  out->f_favail = s.f_favail;
  out->f_fsid = s.f_fsid;
  out->f_flag = s.f_flag;
  out->f_namemax = s.f_namemax;
  return 0;
}

int op_flush(const char*, fuse_file_info* fi) {
  OpenFile& file = file_of(fi);
  if (!file.dirty) return 0;
  Bridge::for_request();
  return commit(file);
}

int op_release(const char*, fuse_file_info* fi) {
  Bridge::for_request();  // the caller's credentials for the COMMIT
  std::unique_ptr<OpenFile> file(&file_of(fi));
  // Writes through mmap can arrive after the last flush; release cannot report errors.
  if (file->dirty) commit(*file);
  file->ahead.reset();  // waits for its reads: they go through the context
  return 0;
}

int op_fsync(const char*, int, fuse_file_info* fi) {
  Bridge::for_request();
  return commit(file_of(fi));
}

// The entries of directory `path`, by its handle; 0 or -errno.
int list(Bridge& b, const char* path, std::vector<DirEntry>& entries) {
  return status(b.dirs().in_dir(
      path, [&](const FileHandle& dir) { return list_directory(b.nfs(), dir, path, b.timeout(), entries); }));
}

int op_opendir(const char* path, fuse_file_info* fi) {
  Bridge& b = Bridge::for_request();
  auto listing = std::make_unique<DirListing>();
  if (int r = list(b, path, listing->entries); r < 0) return r;
  fi->fh = reinterpret_cast<uint64_t>(listing.release());
  return 0;
}

int op_readdir(const char* path, void* buf, fuse_fill_dir_t filler, off_t offset, fuse_file_info* fi,
               fuse_readdir_flags flags) {
  DirListing& listing = listing_of(fi);
  if (offset == 0 && listing.served) {
    Bridge& b = Bridge::for_request();
    if (int r = list(b, path, listing.entries); r < 0) return r;
  }
  listing.served = true;
  // Offsets are entry indexes + 1. With them, libfuse passes the READDIRPLUS
  // attributes on to the kernel, which then needs no LOOKUP per entry (ls -l).
  for (size_t i = static_cast<size_t>(offset); i < listing.entries.size(); ++i) {
    const DirEntry& e = listing.entries[i];
    const bool plus = (flags & FUSE_READDIR_PLUS) != 0 && e.has_attrs && !is_dot_or_dotdot(e.name);
    const auto fill_flags = plus ? FUSE_FILL_DIR_PLUS : static_cast<fuse_fill_dir_flags>(0);
    if (filler(buf, e.name.c_str(), e.has_attrs ? &e.st : nullptr, static_cast<off_t>(i + 1), fill_flags)) {
      break;  // reply buffer full; the kernel asks again from this offset
    }
  }
  return 0;
}

int op_releasedir(const char*, fuse_file_info* fi) {
  delete &listing_of(fi);
  return 0;
}

int op_utimens(const char* path, const timespec tv[2], fuse_file_info*) {
  Bridge& b = Bridge::for_request();
  if (tv[0].tv_nsec == UTIME_NOW && tv[1].tv_nsec == UTIME_NOW) {
    return status(nfs_lutimes(b.nfs(), path, nullptr));  // the server's clock
  }
  timespec current[2]{};
  if (tv[0].tv_nsec == UTIME_OMIT || tv[1].tv_nsec == UTIME_OMIT) {
    nfs_stat_64 s{};
    if (int r = nfs_lstat64(b.nfs(), path, &s); r < 0) return fuse_error(r);
    const struct stat st = to_stat(s);
    current[0] = st.st_atim;
    current[1] = st.st_mtim;
  }
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::array<timeval, 2> times = resolve_times(tv, current, now);
  return status(nfs_lutimes(b.nfs(), path, times.data()));
}

fuse_operations Bridge::operations() {
  fuse_operations ops{};
  ops.init = op_init;
  ops.getattr = op_getattr;
  ops.readlink = op_readlink;
  ops.mknod = op_mknod;
  ops.mkdir = op_mkdir;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.symlink = op_symlink;
  ops.rename = op_rename;
  ops.link = op_link;
  ops.chmod = op_chmod;
  ops.chown = op_chown;
  ops.truncate = op_truncate;
  ops.open = op_open;
  ops.create = op_create;
  ops.read = op_read;
  ops.write = op_write;
  ops.statfs = op_statfs;
  ops.flush = op_flush;
  ops.release = op_release;
  ops.fsync = op_fsync;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.releasedir = op_releasedir;
  ops.utimens = op_utimens;
  // No access(): default_permissions makes the kernel check permissions itself.
  return ops;
}

// Escapes what fuse_opt treats specially inside one -o value.
std::string escape_option(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string nfs_url(const NfsTarget& target) {
  std::string path = target.export_path;
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  return "nfs://" + target.host + path + "?nfsport=" + std::to_string(target.nfs_port) +
         "&mountport=" + std::to_string(target.mount_port) + "&version=3";
}

std::unique_ptr<NfsFuseBridge> NfsFuseBridge::mount(const NfsTarget& target, const FuseOptions& options) {
  return Bridge::create(target, options);
}

int fuse_error(int nfs_result) {
  if (nfs_result >= 0 || nfs_result <= -4096) return -EIO;
  switch (-nfs_result) {
    case EFAULT:
      return -EIO;
    case EINTR:
      return -ETIMEDOUT;
    default:
      return nfs_result;
  }
}

std::string fuse_mount_options(const FuseOptions& options) {
  std::string opts = "fsname=" + escape_option(options.fsname) + ",subtype=anylinuxfs";
  if (options.kernel_permissions) opts += ",default_permissions";
  if (options.allow_other) opts += ",allow_other";
  if (options.read_only) opts += ",ro";
  return opts;
}

struct stat to_stat(const nfs_stat_64& s) {
  struct stat st {};
  st.st_dev = static_cast<dev_t>(s.nfs_dev);
  st.st_ino = static_cast<ino_t>(s.nfs_ino);
  st.st_mode = static_cast<mode_t>(s.nfs_mode);
  st.st_nlink = static_cast<nlink_t>(s.nfs_nlink);
  st.st_uid = static_cast<uid_t>(s.nfs_uid);
  st.st_gid = static_cast<gid_t>(s.nfs_gid);
  st.st_rdev = static_cast<dev_t>(s.nfs_rdev);
  st.st_size = static_cast<off_t>(s.nfs_size);
  st.st_blksize = static_cast<blksize_t>(s.nfs_blksize);
  st.st_blocks = static_cast<blkcnt_t>(s.nfs_blocks);
  st.st_atim = {static_cast<time_t>(s.nfs_atime), static_cast<long>(s.nfs_atime_nsec)};
  st.st_mtim = {static_cast<time_t>(s.nfs_mtime), static_cast<long>(s.nfs_mtime_nsec)};
  st.st_ctim = {static_cast<time_t>(s.nfs_ctime), static_cast<long>(s.nfs_ctime_nsec)};
  return st;
}

std::array<timeval, 2> resolve_times(const timespec requested[2], const timespec current[2], const timespec& now) {
  std::array<timeval, 2> out{};
  for (int i = 0; i < 2; ++i) {
    const timespec& t = requested[i].tv_nsec == UTIME_OMIT  ? current[i]
                        : requested[i].tv_nsec == UTIME_NOW ? now
                                                            : requested[i];
    out[i] = {t.tv_sec, t.tv_nsec / 1000};
  }
  return out;
}

}  // namespace alfs::nfs
