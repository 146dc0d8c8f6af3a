#include "common/protocol.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <new>

#include "common/fd.h"
#include "common/os.h"

namespace alfs::protocol {

using nlohmann::json;

namespace {
constexpr size_t kMaxLine = 1 << 20;
constexpr int kMaxDepth = 64;

template <typename T>
T field(const json& message, const char* name, T fallback) {
  auto it = message.find(name);
  if (it == message.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw ProtocolError(std::string("field \"") + name + "\" has the wrong type");
  }
}

// Frees no buffer it has not overwritten: a line being encoded may carry secrets, and
// each buffer it outgrows would stay in the heap with a part of them.
template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) {}
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) {
    secure_zero(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  friend bool operator==(const WipingAllocator&, const WipingAllocator&) { return true; }
};
using WipedLine = std::vector<char, WipingAllocator<char>>;

// The line of `message`, '\n' included. The serializer copies every string through a
// buffer of its own (a member): its storage on our stack is wiped as well.
void encode_into(const json& message, WipedLine& line) {
  using Serializer = nlohmann::detail::serializer<json>;
  alignas(Serializer) unsigned char storage[sizeof(Serializer)];
  // Command output is not always UTF-8: invalid bytes become U+FFFD rather than an exception.
  auto* serializer =
      new (storage) Serializer(nlohmann::detail::output_adapter<char>(line), ' ', json::error_handler_t::replace);
  struct Destroy {
    Serializer* serializer;
    ~Destroy() {
      serializer->~Serializer();
      secure_zero(static_cast<void*>(serializer), sizeof(Serializer));
    }
  } destroy{serializer};
  serializer->dump(message, /*pretty_print=*/false, /*ensure_ascii=*/false, 0);
  line.push_back('\n');
}
}  // namespace

std::string hex_encode(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string hex_decode(std::string_view hex) {
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw ProtocolError("bad hex digit in a secret");
  };
  if (hex.size() % 2) throw ProtocolError("odd-length hex secret");
  std::string out;
  out.reserve(hex.size() / 2);  // no outgrown buffer left with part of the secret
  for (size_t i = 0; i < hex.size(); i += 2) out += static_cast<char>(value(hex[i]) << 4 | value(hex[i + 1]));
  return out;
}

void wipe(std::string& secret) {
  // Growing to the capacity keeps the buffer and makes all of it the string's to overwrite.
  secret.resize(secret.capacity());
  secure_zero(secret.data(), secret.size());
  secret.clear();
}

void wipe(std::vector<std::string>& secrets) {
  for (auto& secret : secrets) wipe(secret);
  secrets.clear();
}

void wipe_secrets(std::vector<UnlockKey>& keys) {
  for (auto& key : keys) wipe(key.secret);
}

void wipe_secrets(MountRequest& request) {
  wipe_secrets(request.keys);
  for (auto& variable : request.action.environment) wipe(variable);
}

void wipe_secrets(json& message) {
  auto wipe_string = [](json& value) {
    if (value.is_string()) wipe(value.get_ref<std::string&>());
  };
  if (auto keys = message.find("keys"); keys != message.end() && keys->is_array()) {
    for (auto& key : *keys)
      if (auto hex = key.find("secret_hex"); hex != key.end()) wipe_string(*hex);
  }
  if (auto action = message.find("action"); action != message.end()) {
    if (auto environment = action->find("environment"); environment != action->end() && environment->is_array())
      for (auto& variable : *environment) wipe_string(variable);
  }
}

namespace {
json keys_to_json(const std::vector<UnlockKey>& keys) {
  json out = json::array();
  for (const auto& k : keys) {
    // Moved in, never copied: the message holds the only hex copy, which wipe_secrets reaches.
    json key = json::object();
    key["device"] = k.device;
    key["secret_hex"] = hex_encode(k.secret);
    out.push_back(std::move(key));
  }
  return out;
}

std::vector<UnlockKey> keys_from_json(const json& m) {
  std::vector<UnlockKey> keys;
  auto list = m.find("keys");
  if (list == m.end() || list->is_null()) return keys;
  if (!list->is_array()) throw ProtocolError("field \"keys\" has the wrong type");
  keys.reserve(list->size());  // moved strings leave their short bytes behind in an outgrown buffer
  // Read in place: a copy of the message's hex would escape wipe_secrets.
  for (const auto& k : *list) {
    if (!k.is_object()) throw ProtocolError("a key is not an object");
    auto hex = k.find("secret_hex");
    if (hex != k.end() && !hex->is_null() && !hex->is_string())
      throw ProtocolError("field \"secret_hex\" has the wrong type");
    bool given = hex != k.end() && hex->is_string();
    keys.push_back({field<std::string>(k, "device", ""), given ? hex_decode(hex->get_ref<const std::string&>()) : ""});
  }
  return keys;
}
}  // namespace

json to_json(const MountRequest& r) {
  json message{{"type", "mount"},
               {"devices", r.devices},
               {"fstype", r.fstype},
               {"options", r.options},
               {"read_only", r.read_only},
               {"export_client", r.export_client},
               {"shared_client", r.shared_client},
               {"volume_group", r.volume_group},
               {"logical_volume", r.logical_volume},
               {"raid", r.raid},
               {"disk", r.disk},
               {"squash_to_root", r.squash_to_root},
               {"export_options", r.export_options},
               {"action",
                {{"name", r.action.name},
                 {"before_mount", r.action.before_mount},
                 {"after_mount", r.action.after_mount},
                 {"before_unmount", r.action.before_unmount},
                 {"environment", r.action.environment},
                 {"override_nfs_export", r.action.override_nfs_export},
                 {"nfs_export_subdirs", r.action.nfs_export_subdirs}}}};
  message["keys"] = keys_to_json(r.keys);
  return message;
}

MountRequest mount_request_from_json(const json& m) {
  MountRequest r;
  r.devices = field<std::vector<std::string>>(m, "devices", {});
  r.fstype = field<std::string>(m, "fstype", "");
  r.options = field<std::string>(m, "options", "");
  r.read_only = field<bool>(m, "read_only", false);
  r.export_client = field<std::string>(m, "export_client", "");
  r.shared_client = field<std::string>(m, "shared_client", "");
  r.keys = keys_from_json(m);
  r.volume_group = field<std::string>(m, "volume_group", "");
  r.logical_volume = field<std::string>(m, "logical_volume", "");
  r.raid = field<bool>(m, "raid", false);
  r.disk = field<std::string>(m, "disk", "");
  r.squash_to_root = field<bool>(m, "squash_to_root", false);
  r.export_options = field<std::string>(m, "export_options", "");
  json action = field<json>(m, "action", json::object());
  if (!action.is_object()) throw ProtocolError("field \"action\" has the wrong type");
  r.action.name = field<std::string>(action, "name", "");
  r.action.before_mount = field<std::string>(action, "before_mount", "");
  r.action.after_mount = field<std::string>(action, "after_mount", "");
  r.action.before_unmount = field<std::string>(action, "before_unmount", "");
  r.action.environment = field<std::vector<std::string>>(action, "environment", {});
  r.action.override_nfs_export = field<std::string>(action, "override_nfs_export", "");
  r.action.nfs_export_subdirs = field<std::vector<std::string>>(action, "nfs_export_subdirs", {});
  if (r.volume_group.empty() != r.logical_volume.empty())
    throw ProtocolError("mount request names a volume group without a logical volume, or the reverse");
  if (r.devices.empty() && r.action.override_nfs_export.empty())
    throw ProtocolError("mount request names no device (and no action path to export)");
  if (r.export_client.empty()) throw ProtocolError("mount request names no export client");
  return r;
}

json to_json(const InspectRequest& r) {
  json message{{"type", "inspect"}};
  message["keys"] = keys_to_json(r.keys);
  return message;
}

InspectRequest inspect_request_from_json(const json& m) { return InspectRequest{keys_from_json(m)}; }

json to_json(const RestoreRequest& r) {
  return {{"type", "restore"}, {"time_ns", r.time_ns}, {"entropy_hex", hex_encode(r.entropy)}, {"disks", r.disks}};
}

RestoreRequest restore_request_from_json(const json& m) {
  RestoreRequest r{field<int64_t>(m, "time_ns", 0), hex_decode(field<std::string>(m, "entropy_hex", "")),
                   field<int>(m, "disks", 0)};
  if (r.time_ns <= 0) throw ProtocolError("restore request without the time");
  if (r.entropy.size() < 32) throw ProtocolError("restore request with fewer than 32 random bytes");
  if (r.disks < 0 || r.disks > 26) throw ProtocolError("restore request for " + std::to_string(r.disks) + " disks");
  return r;
}

json decode_line(std::string_view line, bool typed) {
  // dump(), copies and comparisons recurse: a peer's deeply nested line would overflow
  // the stack of whoever logs it. No message nests beyond a few levels.
  struct TooDeep {};
  auto depth_limit = [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth) throw TooDeep{};
    return true;
  };
  json message;
  try {
    message = json::parse(line, depth_limit, /*allow_exceptions=*/false);
  } catch (const TooDeep&) {
    throw ProtocolError("malformed message: nested more than " + std::to_string(kMaxDepth) + " levels deep");
  }
  if (message.is_discarded()) throw ProtocolError("malformed message: not JSON");
  if (!message.is_object()) throw ProtocolError("malformed message: not a JSON object");
  if (typed) message_type(message);
  return message;
}

std::string encode_line(const json& message) {
  WipedLine line;
  encode_into(message, line);
  return std::string(line.begin(), line.end());
}

std::string message_type(const json& message) {
  auto it = message.find("type");
  if (it == message.end() || !it->is_string()) throw ProtocolError("message has no \"type\"");
  return it->get<std::string>();
}

void LineChannel::send(const json& message) {
  WipedLine line;
  encode_into(message, line);
  std::string_view rest(line.data(), line.size());
  // A virtio port whose host side is gone blocks writers forever: the guest opens it
  // non-blocking, and a write that cannot proceed within the deadline gives up.
  Deadline deadline(std::chrono::seconds(5));
  while (!rest.empty()) {
    // A socket (vsock, the host's unix socket) whose peer is gone must fail the write, not
    // kill the writer with SIGPIPE; a virtio port is no socket.
    ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd_, rest.data(), rest.size());
    if (n >= 0) {
      rest.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw SystemError("write to control channel");
    pollfd pfd{fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, deadline.remaining_ms()) == 0) throw Error("control channel: the peer is not reading");
  }
}

void LineChannel::send_and_wipe(json& message) {
  struct WipeAfter {
    json& message;
    ~WipeAfter() { wipe_secrets(message); }
  } wipe_after{message};
  send(message);
}

std::optional<std::string> LineChannel::take_line() {
  auto nl = buffer_.find('\n');
  if (nl == std::string::npos) {
    if (buffer_.size() > kMaxLine) throw ProtocolError("message longer than 1 MiB");
    return std::nullopt;
  }
  std::string line = buffer_.substr(0, nl);
  secure_zero(buffer_.data(), nl + 1);
  buffer_.erase(0, nl + 1);
  return line;
}

LineChannel::Received LineChannel::receive(const Deadline& deadline) {
  for (;;) {
    while (auto line = take_line()) {
      if (line->find_first_not_of(" \t\r") == std::string::npos) continue;
      Received received{Status::kMessage, decode_line(*line, typed_)};
      wipe(*line);
      return received;
    }
    pollfd pfd{fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, deadline.remaining_ms());
    if (r < 0) {
      if (errno == EINTR) continue;
      throw SystemError("poll on control channel");
    }
    if (r == 0) return {Status::kTimeout, {}};
    if ((pfd.revents & (POLLHUP | POLLERR)) && !(pfd.revents & POLLIN)) return {Status::kClosed, {}};
    char buf[4096];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) return {Status::kClosed, {}};
      throw SystemError("read from control channel");
    }
    if (n == 0) return {Status::kClosed, {}};
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace alfs::protocol
