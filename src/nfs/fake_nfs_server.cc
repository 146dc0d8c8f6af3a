#include "nfs/fake_nfs_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>

// In this order: each libnfs header needs the ones before it.
// clang-format off
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>
// clang-format on

#include "common/error.h"
#include "common/rpc_guard.h"
#include "common/sockets.h"

namespace alfs::nfs {

struct FakeNfsServer::State {
  std::mutex mutex;
  std::string file = "hello from the guest\n";
  std::string link_target = "file";
  std::vector<std::string> entries = {"file", "link"};
  std::map<int, std::string> raw;  // NFS procedure -> reply body
  std::function<void(READ3res&)> read_tamper;
  bool guarded = false;
};

namespace {

char kRootFh[] = "root";
char kFileFh[] = "file";
char kLinkFh[] = "link";
char kNewFh[] = "new";

nfs_fh3 handle(char* fh) { return nfs_fh3{{static_cast<u_int>(std::strlen(fh)), fh}}; }
std::string handle_of(const nfs_fh3& fh) { return std::string(fh.data.data_val, fh.data.data_len); }

fattr3 attributes(const std::string& fh, const FakeNfsServer::State& s) {
  fattr3 a{};
  a.type = fh == "root" ? NF3DIR : fh == "link" ? NF3LNK : NF3REG;
  a.mode = fh == "root" ? 0755 : 0644;
  a.nlink = 1;
  a.size = fh == "file" ? s.file.size() : fh == "link" ? s.link_target.size() : 4096;
  a.fileid = fh == "root" ? 1 : fh == "file" ? 2 : fh == "link" ? 3 : 4;
  return a;
}

// The handle of the export's entry a call names, or none.
char* existing(const diropargs3& where) {
  const std::string name = where.name != nullptr ? where.name : "";
  return name == "file" ? kFileFh : name == "link" ? kLinkFh : nullptr;
}

post_op_attr with(const fattr3& a) {
  post_op_attr p{};
  p.attributes_follow = 1;
  p.post_op_attr_u.attributes = a;
  return p;
}

void put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(v >> shift);
}

// XDR of `value` through libnfs's own encoder, appended to `out`; `payload`: the bytes of
// data it carries, beyond what fits in 64 KiB.
template <typename T>
void encode(std::string& out, T& value, uint32_t (*encoder)(ZDR*, T*), size_t payload = 0) {
  std::string buf(64 * 1024 + payload, '\0');
  ZDR zdr;
  libnfs_zdrmem_create(&zdr, buf.data(), static_cast<uint32_t>(buf.size()), ZDR_ENCODE);
  if (!encoder(&zdr, &value)) throw Error("fake NFS server: a reply does not encode");
  out.append(buf.data(), libnfs_zdr_getpos(&zdr));
  libnfs_zdr_destroy(&zdr);
}

// A call's arguments, decoded by libnfs into `args` (a string or opaque it allocates lives
// as long as the returned guard).
struct Decoded {
  ZDR zdr;
  explicit Decoded(std::string_view bytes) {
    libnfs_zdrmem_create(&zdr, const_cast<char*>(bytes.data()), static_cast<uint32_t>(bytes.size()), ZDR_DECODE);
  }
  ~Decoded() { libnfs_zdr_destroy(&zdr); }
  template <typename T>
  T take(uint32_t (*decoder)(ZDR*, T*)) {
    T args{};
    if (!decoder(&zdr, &args)) throw Error("fake NFS server: a call does not decode");
    return args;
  }
};

// The reply body to NFS procedure `proc` (after the accepted-reply header); nullopt: a
// procedure this server does not have.
std::optional<std::string> nfs_reply(FakeNfsServer::State& s, uint32_t proc, std::string_view arguments) {
  std::string out;
  if (auto raw = s.raw.find(static_cast<int>(proc)); raw != s.raw.end()) return raw->second;
  Decoded args(arguments);
  switch (proc) {
    case NFS3_NULL:
      return out;
    case NFS3_GETATTR: {
      auto a = args.take(zdr_GETATTR3args);
      GETATTR3res res{};
      res.GETATTR3res_u.resok.obj_attributes = attributes(handle_of(a.object), s);
      encode(out, res, zdr_GETATTR3res);
      return out;
    }
    case NFS3_LOOKUP: {
      char* fh = existing(args.take(zdr_LOOKUP3args).what);
      LOOKUP3res res{};
      if (fh == nullptr) {
        res.status = NFS3ERR_NOENT;
      } else {
        res.LOOKUP3res_u.resok.object = handle(fh);
        res.LOOKUP3res_u.resok.obj_attributes = with(attributes(fh, s));
      }
      encode(out, res, zdr_LOOKUP3res);
      return out;
    }
    case NFS3_CREATE: {
      // A new file "new" (the name asked is not kept); GUARDED fails on "file" and "link".
      auto a = args.take(zdr_CREATE3args);
      CREATE3res res{};
      if (existing(a.where) != nullptr) {
        res.status = NFS3ERR_EXIST;
      } else {
        res.CREATE3res_u.resok.obj.handle_follows = 1;
        res.CREATE3res_u.resok.obj.post_op_fh3_u.handle = handle(kNewFh);
        fattr3 attrs = attributes(kNewFh, s);
        attrs.mode = a.how.createhow3_u.g_obj_attributes.mode.set_mode3_u.mode;
        res.CREATE3res_u.resok.obj_attributes = with(attrs);
      }
      encode(out, res, zdr_CREATE3res);
      return out;
    }
    case NFS3_REMOVE: {
      REMOVE3res res{};
      if (existing(args.take(zdr_REMOVE3args).object) == nullptr) res.status = NFS3ERR_NOENT;
      encode(out, res, zdr_REMOVE3res);
      return out;
    }
    case NFS3_SETATTR: {
      SETATTR3res res{};
      encode(out, res, zdr_SETATTR3res);
      return out;
    }
    case NFS3_ACCESS: {
      auto a = args.take(zdr_ACCESS3args);
      ACCESS3res res{};
      res.ACCESS3res_u.resok.access = a.access;
      encode(out, res, zdr_ACCESS3res);
      return out;
    }
    case NFS3_READLINK: {
      READLINK3res res{};
      res.READLINK3res_u.resok.data = s.link_target.data();
      encode(out, res, zdr_READLINK3res);
      return out;
    }
    case NFS3_READ: {
      auto a = args.take(zdr_READ3args);
      size_t from = std::min<uint64_t>(a.offset, s.file.size());
      size_t n = std::min<size_t>(a.count, s.file.size() - from);
      READ3res res{};
      res.READ3res_u.resok.count = static_cast<count3>(n);
      res.READ3res_u.resok.eof = from + n == s.file.size();
      res.READ3res_u.resok.data = {static_cast<u_int>(n), s.file.data() + from};
      if (s.read_tamper) s.read_tamper(res);
      encode(out, res, zdr_READ3res, res.READ3res_u.resok.data.data_len);
      return out;
    }
    case NFS3_READDIRPLUS: {
      std::vector<entryplus3> entries(s.entries.size());
      for (size_t i = 0; i < entries.size(); ++i) {
        entryplus3& e = entries[i];
        e.fileid = 10 + i;
        e.name = s.entries[i].data();
        e.cookie = i + 1;
        fattr3 attrs = attributes("file", s);
        attrs.fileid = e.fileid;
        e.name_attributes = with(attrs);
        e.name_handle.handle_follows = 1;
        e.name_handle.post_op_fh3_u.handle = handle(kFileFh);
        e.nextentry = i + 1 < entries.size() ? &entries[i + 1] : nullptr;
      }
      READDIRPLUS3res res{};
      res.READDIRPLUS3res_u.resok.reply.entries = entries.empty() ? nullptr : entries.data();
      res.READDIRPLUS3res_u.resok.reply.eof = 1;
      encode(out, res, zdr_READDIRPLUS3res);
      return out;
    }
    case NFS3_FSINFO: {
      FSINFO3res res{};
      FSINFO3resok& ok = res.FSINFO3res_u.resok;
      ok.rtmax = ok.rtpref = ok.wtmax = ok.wtpref = 1024 * 1024;
      ok.rtmult = ok.wtmult = 4096;
      ok.dtpref = 64 * 1024;
      ok.maxfilesize = UINT64_MAX;
      ok.time_delta = {0, 1};
      ok.properties = FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME;
      encode(out, res, zdr_FSINFO3res);
      return out;
    }
  }
  return std::nullopt;
}

std::optional<std::string> mount_reply(uint32_t proc) {
  std::string out;
  switch (proc) {
    case MOUNT3_NULL:
      return out;
    case MOUNT3_MNT: {
      int flavors[] = {AUTH_UNIX};
      mountres3 res{};
      res.mountres3_u.mountinfo.fhandle = {static_cast<u_int>(std::strlen(kRootFh)), kRootFh};
      res.mountres3_u.mountinfo.auth_flavors = {1, flavors};
      encode(out, res, zdr_mountres3);
      return out;
    }
    case MOUNT3_EXPORT: {
      exports none = nullptr;
      encode(out, none, zdr_exports);
      return out;
    }
  }
  return std::nullopt;
}

// Reads big-endian words off the front of a call.
struct Reader {
  std::string_view rest;
  bool ok = true;
  uint32_t u32() {
    if (rest.size() < 4) {
      ok = false;
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(rest[i]);
    rest.remove_prefix(4);
    return v;
  }
  void skip_auth() {  // flavor, then opaque bytes padded to 4
    u32();
    uint32_t len = u32();
    size_t padded = (static_cast<size_t>(len) + 3) & ~size_t{3};
    if (!ok || rest.size() < padded) {
      ok = false;
      return;
    }
    rest.remove_prefix(padded);
  }
};

// The whole reply record (marker included) to one call record; empty: drop the client.
std::string answer(FakeNfsServer::State& s, std::string_view call) {
  Reader r{call};
  uint32_t xid = r.u32();
  uint32_t direction = r.u32();
  uint32_t rpc_version = r.u32();
  uint32_t program = r.u32();
  r.u32();  // version: 3 of either program
  uint32_t proc = r.u32();
  r.skip_auth();
  r.skip_auth();
  if (!r.ok || direction != CALL || rpc_version != RPC_MSG_VERSION) return "";
  std::optional<std::string> body;
  {
    std::lock_guard lock(s.mutex);
    body = program == NFS_PROGRAM     ? nfs_reply(s, proc, r.rest)
           : program == MOUNT_PROGRAM ? mount_reply(proc)
                                      : std::nullopt;
  }
  std::string reply;
  put32(reply, xid);
  put32(reply, REPLY);
  put32(reply, MSG_ACCEPTED);
  put32(reply, AUTH_NONE);
  put32(reply, 0);
  put32(reply, body ? SUCCESS : PROC_UNAVAIL);
  if (body) reply += *body;
  if (s.guarded && !rpc::check_reply(program, proc, reply).empty()) {
    // The forwards would reset the stream (and end the instance); libnfs would then wait out
    // its timeout. A failure it reads at once keeps the tests and the fuzzer quick.
    reply.resize(20);
    put32(reply, SYSTEM_ERR);
  }
  std::string record;
  put32(record, 0x80000000u | static_cast<uint32_t>(reply.size()));
  return record + reply;
}

}  // namespace

FakeNfsServer::FakeNfsServer()
    : listener_(listen_tcp("127.0.0.1", 0)),
      stop_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      state_(std::make_unique<State>()) {
  if (!stop_) throw SystemError("eventfd");
  port_ = local_port(listener_.get());
  thread_ = std::thread([this] { serve(); });
}

FakeNfsServer::~FakeNfsServer() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  thread_.join();
}

void FakeNfsServer::set_file(std::string content) {
  std::lock_guard lock(state_->mutex);
  state_->file = std::move(content);
}

void FakeNfsServer::set_link_target(std::string target) {
  std::lock_guard lock(state_->mutex);
  state_->link_target = std::move(target);
}

void FakeNfsServer::set_entries(std::vector<std::string> names) {
  std::lock_guard lock(state_->mutex);
  state_->entries = std::move(names);
}

void FakeNfsServer::set_raw_reply(int proc, std::optional<std::string> body) {
  std::lock_guard lock(state_->mutex);
  if (body) {
    state_->raw[proc] = std::move(*body);
  } else {
    state_->raw.erase(proc);
  }
}

void FakeNfsServer::set_guarded(bool guarded) {
  std::lock_guard lock(state_->mutex);
  state_->guarded = guarded;
}

void FakeNfsServer::set_read_tamper(std::function<void(READ3res&)> tamper) {
  std::lock_guard lock(state_->mutex);
  state_->read_tamper = std::move(tamper);
}

void FakeNfsServer::serve() {
  struct Client {
    UniqueFd fd;
    std::string in;
  };
  std::vector<Client> clients;
  for (;;) {
    std::vector<pollfd> fds = {{stop_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
    for (auto& c : clients) fds.push_back({c.fd.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents) return;
    for (size_t i = 0, polled = 0; i < clients.size(); ++polled) {
      Client& c = clients[i];
      bool alive = true;
      if (fds[2 + polled].revents) {
        char buf[65536];
        ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
        alive = n > 0;
        if (alive) c.in.append(buf, static_cast<size_t>(n));
      }
      // Each whole record (libnfs sends a call as one fragment) gets its reply.
      while (alive && c.in.size() >= 4) {
        uint32_t marker = 0;
        for (int k = 0; k < 4; ++k) marker = marker << 8 | static_cast<unsigned char>(c.in[k]);
        size_t length = marker & 0x7fffffff;
        if (c.in.size() < 4 + length) break;
        try {
          std::string reply = answer(*state_, std::string_view(c.in).substr(4, length));
          c.in.erase(0, 4 + length);
          alive = !reply.empty();
          if (alive) write_all(c.fd.get(), reply);
        } catch (const Error&) {  // a call it cannot read, or a client gone
          alive = false;
        }
      }
      if (alive) {
        ++i;
      } else {
        clients.erase(clients.begin() + static_cast<long>(i));
      }
    }
    if (fds[1].revents) {
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) clients.push_back({UniqueFd(fd), {}});
    }
  }
}

}  // namespace alfs::nfs
