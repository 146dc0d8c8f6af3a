#include "common/stream_mux.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <string>

#include "common/error.h"
#include "common/os.h"

namespace alfs::mux {

namespace {

void put16(char* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t get(const char* p, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Past this much waiting for the link, the streams are not read: the link's reader
// (the other side) sets the pace, and memory stays bounded.
constexpr size_t kLinkHighWater = 1 << 20;
// Past this much waiting for the link, the link is not read either: what the other side
// sends may need an answer (a reset for each open we refuse, say), and it must take the
// answers first. A side that reads its link never gets there: its streams stop at
// kLinkHighWater plus one payload.
constexpr size_t kLinkOutLimit = 4 * kLinkHighWater;
// A stream with more than this queued for its socket is reset: its reader stopped, and
// the other side (a guest that misbehaves, say) cannot fill our memory. NFS stays well
// below: the queue holds replies its client asked for and has not read yet, and our FUSE
// bridge keeps at most two 1 MiB READs ahead per file it reads (nfs/read_ahead.h).
constexpr size_t kStreamQueueLimit = 16 << 20;
// All streams together: past this, the stream with the most queued is reset, so memory
// stays bounded however many streams there are.
constexpr size_t kTotalQueueLimit = 64 << 20;
// One read from the link: several frames at once on the host; a virtio port hands out
// a page per read in the guest.
constexpr size_t kLinkReadSize = 256 * 1024;

// A socket whose peer is gone must fail the write, not kill us with SIGPIPE; the guest's
// link is a virtio port, no socket.
ssize_t write_some(int fd, bool socket, const char* data, size_t size) {
  return socket ? ::send(fd, data, size, MSG_NOSIGNAL) : ::write(fd, data, size);
}

// Bytes waiting for a non-blocking fd, written in arrival order without moving the rest.
class ByteQueue {
 public:
  bool empty() const { return chunks_.empty(); }
  size_t size() const { return size_; }
  void push(std::string chunk) {
    size_ += chunk.size();
    if (!chunk.empty()) chunks_.push_back(std::move(chunk));
  }
  // Writes what the fd takes; false when it failed for good.
  bool flush(int fd, bool socket) {
    while (!chunks_.empty()) {
      const std::string& front = chunks_.front();
      ssize_t n = write_some(fd, socket, front.data() + offset_, front.size() - offset_);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      size_ -= static_cast<size_t>(n);
      offset_ += static_cast<size_t>(n);
      if (offset_ == front.size()) {
        chunks_.pop_front();
        offset_ = 0;
      }
    }
    return true;
  }

 private:
  std::deque<std::string> chunks_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw SystemError("fcntl O_NONBLOCK");
}

// A stream's socket: non-blocking, and where it is TCP, without Nagle's delay: a record
// that arrives in two frames must not wait for the peer's delayed ACK (40 ms).
void prepare_stream_socket(int fd) {
  set_nonblocking(fd);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly elsewhere
}

// Writes `data` at once where the fd takes it and nothing is queued before it; queues
// the rest. False when the fd failed for good.
bool send_or_queue(int fd, bool socket, ByteQueue& queue, const char* data, size_t size) {
  size_t done = 0;
  if (queue.empty()) {
    while (done < size) {
      ssize_t n = write_some(fd, socket, data + done, size - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        return false;
      }
      done += static_cast<size_t>(n);
    }
  }
  if (done < size) queue.push(std::string(data + done, size - done));
  return true;
}

}  // namespace

std::array<char, kHeaderSize> encode(const FrameHeader& h) {
  std::array<char, kHeaderSize> out{};
  put32(out.data(), h.stream);
  put16(out.data() + 4, static_cast<uint16_t>(h.type));
  put16(out.data() + 6, h.port);
  put32(out.data() + 8, h.length);
  return out;
}

FrameHeader decode(const char* bytes) {
  FrameHeader h;
  h.stream = get(bytes, 4);
  uint32_t type = get(bytes + 4, 2);
  h.port = static_cast<uint16_t>(get(bytes + 6, 2));
  h.length = get(bytes + 8, 4);
  if (type < 1 || type > 5) throw Error("stream link: unknown frame type " + std::to_string(type));
  h.type = static_cast<FrameType>(type);
  if (h.type != FrameType::kData && h.length != 0)
    throw Error("stream link: a control frame carries " + std::to_string(h.length) + " bytes");
  if (h.length > kMaxPayload)
    throw Error("stream link: a frame of " + std::to_string(h.length) + " bytes (at most " +
                std::to_string(kMaxPayload) + ")");
  return h;
}

// The state of one run(): the link's buffers and the open streams.
class StreamMux::Session {
 public:
  Session(StreamMux& mux, int link) : mux_(mux), link_(link) {
    struct stat st {};
    link_socket_ = ::fstat(link, &st) == 0 && S_ISSOCK(st.st_mode);
  }

  bool run() {
    set_nonblocking(link_);
    for (;;) {
      build_poll_set();
      if (::poll(fds_.data(), fds_.size(), -1) < 0) {
        if (errno == EINTR) continue;
        throw SystemError("poll on the stream link");
      }
      if (fds_[0].revents) return true;  // stop()
      if (fds_[1].revents & POLLOUT && !link_out_.flush(link_, link_socket_)) return false;
      if (fds_[1].revents & (POLLIN | POLLHUP | POLLERR) && !read_link()) return false;
      for (size_t i = 2; i < fds_.size(); ++i) {
        if (!fds_[i].revents) continue;
        if (roles_[i] < mux_.listeners_.size()) {
          accept_client(mux_.listeners_[roles_[i]]);
        } else if (!serve_stream(static_cast<uint32_t>(roles_[i] - mux_.listeners_.size()), fds_[i].revents)) {
          return false;
        }
      }
    }
  }

 private:
  struct Stream {
    UniqueFd fd;
    std::unique_ptr<StreamGuard> guard;  // host side: checks what the guest sends
    ByteQueue out;                       // for the socket, from the other side
    bool fin_received = false;           // the other side sends no more
    bool fin_sent = false;               // our socket said end of file, and the other side knows
  };

  void build_poll_set() {
    fds_.clear();
    roles_.clear();
    add(mux_.stop_event_.fd(), POLLIN, 0);
    short link_events =
        static_cast<short>((link_out_.size() < kLinkOutLimit ? POLLIN : 0) | (link_out_.empty() ? 0 : POLLOUT));
    add(link_, link_events, 0);
    bool link_has_room = link_out_.size() < kLinkHighWater;
    for (size_t i = 0; i < mux_.listeners_.size(); ++i)
      if (link_has_room) add(mux_.listeners_[i].fd.get(), POLLIN, i);
    for (auto& [id, s] : streams_) {
      short events = static_cast<short>((s.out.empty() ? 0 : POLLOUT) | (!s.fin_sent && link_has_room ? POLLIN : 0));
      if (events) add(s.fd.get(), events, mux_.listeners_.size() + id);
    }
  }

  void add(int fd, short events, size_t role) {
    fds_.push_back({fd, events, 0});
    roles_.push_back(role);
  }

  // A control frame; false when the link failed.
  bool send(const FrameHeader& header) {
    auto bytes = encode(header);
    return send_or_queue(link_, link_socket_, link_out_, bytes.data(), bytes.size());
  }

  void accept_client(const Listener& listener) {
    int fd = accept_connection(listener.fd.get(), /*nonblocking=*/true);
    if (fd < 0) return;  // gone before we took it, or out of fds: the next poll says
    UniqueFd client(fd);
    Client who = mux_.admit_ ? mux_.admit_(fd) : Client::kLocal;
    if (who == Client::kRefused) return;  // closed before a byte of it went anywhere
    prepare_stream_socket(fd);
    uint32_t id = next_id_++;
    streams_[id].fd = std::move(client);
    if (mux_.guards_.make) streams_[id].guard = mux_.guards_.make(listener.guest_port);
    send({id, who == Client::kNetwork ? FrameType::kOpenNetwork : FrameType::kOpen, listener.guest_port, 0});
  }

  // Reads what the link has and acts on each whole frame; false at its end.
  bool read_link() {
    ssize_t n = ::read(link_, in_.data() + in_len_, in_.size() - in_len_);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    in_len_ += static_cast<size_t>(n);
    size_t pos = 0;
    while (in_len_ - pos >= kHeaderSize) {
      FrameHeader h = decode(in_.data() + pos);
      if (in_len_ - pos - kHeaderSize < h.length) break;
      if (!on_frame(h, in_.data() + pos + kHeaderSize)) return false;
      pos += kHeaderSize + h.length;
    }
    // What is left is less than one frame.
    std::memmove(in_.data(), in_.data() + pos, in_len_ - pos);
    in_len_ -= pos;
    return true;
  }

  bool on_frame(const FrameHeader& h, const char* payload) {
    auto it = streams_.find(h.stream);
    size_t length = h.length;
    switch (h.type) {
      case FrameType::kOpen:
      case FrameType::kOpenNetwork: {
        if (it != streams_.end()) return reset(it);  // the other side is out of step on this stream
        Client who = h.type == FrameType::kOpenNetwork ? Client::kNetwork : Client::kLocal;
        UniqueFd fd = mux_.opener_ ? mux_.opener_(h.port, who) : UniqueFd();
        if (!fd) return send({h.stream, FrameType::kReset, 0, 0});
        prepare_stream_socket(fd.get());
        streams_[h.stream].fd = std::move(fd);
        return true;
      }
      case FrameType::kData:
        // Data for a stream reset here is dropped: the reset is on the way.
        if (it == streams_.end() || it->second.fin_received) return true;
        if (it->second.out.size() > kStreamQueueLimit) return reset(it);
        if (StreamGuard* guard = it->second.guard.get()) {
          checked_.clear();
          if (!guard->from_server(std::string_view(payload, h.length), checked_)) return refuse(it);
          payload = checked_.data();
          length = checked_.size();
        }
        if (!send_or_queue(it->second.fd.get(), true, it->second.out, payload, length)) return reset(it);
        return within_total_limit();
      case FrameType::kClose:
        if (it != streams_.end()) {
          it->second.fin_received = true;
          finish_if_flushed(it);
        }
        return true;
      case FrameType::kReset:
        if (it != streams_.end()) streams_.erase(it);
        return true;
    }
    return true;
  }

  // Past kTotalQueueLimit, resets the stream furthest behind; false when the link failed.
  bool within_total_limit() {
    size_t total = 0;
    auto largest = streams_.begin();
    for (auto it = streams_.begin(); it != streams_.end(); ++it) {
      total += it->second.out.size();
      if (it->second.out.size() > largest->second.out.size()) largest = it;
    }
    return total <= kTotalQueueLimit || reset(largest);
  }

  // A stream whose guard refused what the guest sent: said, then reset.
  bool refuse(std::map<uint32_t, Stream>::iterator it) {
    if (mux_.guards_.refused) mux_.guards_.refused(it->second.guard->problem());
    return reset(it);
  }

  // Drops a stream whose socket failed and tells the other side; false when the link failed.
  bool reset(std::map<uint32_t, Stream>::iterator it) {
    uint32_t id = it->first;
    streams_.erase(it);
    return send({id, FrameType::kReset, 0, 0});
  }

  // After the other side's close and our queue's last byte: our socket's writing half
  // ends; with both halves done the stream is gone.
  void finish_if_flushed(std::map<uint32_t, Stream>::iterator it) {
    Stream& s = it->second;
    if (!s.fin_received || !s.out.empty()) return;
    ::shutdown(s.fd.get(), SHUT_WR);
    if (s.fin_sent) streams_.erase(it);
  }

  // False when the link failed.
  bool serve_stream(uint32_t id, short revents) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return true;
    Stream& s = it->second;
    if (!s.out.empty() && revents & (POLLOUT | POLLERR | POLLHUP)) {
      if (!s.out.flush(s.fd.get(), true)) return reset(it);
      if (s.out.empty()) {
        finish_if_flushed(it);
        if (streams_.find(id) == streams_.end()) return true;
      }
    }
    if (s.fin_sent || !(revents & (POLLIN | POLLHUP | POLLERR))) return true;
    // Checked per stream: with many streams ready at once, one round would otherwise
    // queue a payload from each.
    if (link_out_.size() >= kLinkHighWater) return true;
    // The payload lands behind room for its header: one write to the link per frame.
    ssize_t n = ::read(s.fd.get(), out_.data() + kHeaderSize, kMaxPayload);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n < 0) return reset(it);
    if (n == 0) {
      s.fin_sent = true;
      if (s.fin_received && s.out.empty()) streams_.erase(it);
      return send({id, FrameType::kClose, 0, 0});
    }
    if (s.guard && !s.guard->from_client(std::string_view(out_.data() + kHeaderSize, static_cast<size_t>(n))))
      return reset(it);
    auto header = encode({id, FrameType::kData, 0, static_cast<uint32_t>(n)});
    std::memcpy(out_.data(), header.data(), kHeaderSize);
    return send_or_queue(link_, link_socket_, link_out_, out_.data(), kHeaderSize + static_cast<size_t>(n));
  }

  StreamMux& mux_;
  int link_;
  bool link_socket_ = false;
  ByteQueue link_out_;
  // Reused buffers (allocated once: the guest's emulated CPU pays for every memset).
  std::vector<char> in_ = std::vector<char>(kLinkReadSize + kHeaderSize + kMaxPayload);
  size_t in_len_ = 0;
  std::vector<char> out_ = std::vector<char>(kHeaderSize + kMaxPayload);
  std::string checked_;  // what a guard let through of one frame
  std::map<uint32_t, Stream> streams_;
  uint32_t next_id_ = 1;
  std::vector<pollfd> fds_;
  std::vector<size_t> roles_;  // per poll entry: a listener's index, or listeners + stream id
};

StreamMux::StreamMux(std::vector<Listener> listeners, Opener opener, Guards guards, Admit admit)
    : listeners_(std::move(listeners)),
      opener_(std::move(opener)),
      guards_(std::move(guards)),
      admit_(std::move(admit)) {}

StreamMux::~StreamMux() = default;

bool StreamMux::run(int link) { return Session(*this, link).run(); }

void StreamMux::stop() { stop_event_.set(); }

}  // namespace alfs::mux
