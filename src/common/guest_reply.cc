#include "common/guest_reply.h"

#include <algorithm>

namespace alfs::protocol {

using nlohmann::json;

namespace {

constexpr size_t kMaxName = 64;
constexpr size_t kMaxPath = 4096;

// The message's own type, cut short: it goes into an error message.
std::string quoted_type(const std::string& type) {
  return "'" + (type.size() > kMaxName ? type.substr(0, kMaxName) + "..." : type) + "'";
}

class Fields {
 public:
  Fields(const json& message, std::string type) : message_(message), type_(std::move(type)) {}

  std::string text(const char* name, bool required) const {
    const json* v = find(name, required);
    if (!v) return "";
    if (!v->is_string()) wrong(name, "a string");
    return v->get<std::string>();
  }
  bool flag(const char* name, bool required) const {
    const json* v = find(name, required);
    if (!v) return false;
    if (!v->is_boolean()) wrong(name, "true or false");
    return v->get<bool>();
  }
  int small_integer(const char* name, int low, int high) const {
    const json* v = find(name, true);
    if (!v->is_number_integer() || v->get<int64_t>() < low || v->get<int64_t>() > high)
      wrong(name, "an integer from " + std::to_string(low) + " to " + std::to_string(high));
    return static_cast<int>(v->get<int64_t>());
  }
  [[noreturn]] void wrong(const char* name, const std::string& expected) const {
    throw ProtocolError("malformed '" + type_ + "' message from the guest: \"" + name + "\" is not " + expected);
  }

 private:
  // Null counts as absent.
  const json* find(const char* name, bool required) const {
    auto it = message_.find(name);
    if (it != message_.end() && !it->is_null()) return &*it;
    if (required) throw ProtocolError("malformed '" + type_ + "' message from the guest: no \"" + name + "\"");
    return nullptr;
  }
  const json& message_;
  std::string type_;
};

bool is_name(const std::string& s) {
  return s.size() <= kMaxName && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '+' || c == '-';
         });
}

// Goes into nfs://host<path>?nfsport=..: '?', '#', '&' and '%' would change the URL
// (another port, another uid); control characters have no business in a path.
bool is_export_path(const std::string& s) {
  return !s.empty() && s.front() == '/' && s.size() <= kMaxPath && std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '?' || c == '#' || c == '&' || c == '%';
  });
}

}  // namespace

GuestReply parse_guest_reply(const json& message) {
  std::string type = message_type(message);
  Fields f(message, type.size() > kMaxName ? type.substr(0, kMaxName) : type);
  if (type == "hello") return Hello{f.text("kernel", true)};
  if (type == "progress") return Progress{f.text("step", true)};
  if (type == "log") return LogLine{f.text("text", true)};
  if (type == "ready") {
    Ready r{f.text("export", true), f.text("fstype", false), f.text("label", false), f.flag("read_only", false),
            f.text("warning", false)};
    if (!is_export_path(r.export_path))
      f.wrong("export", "an absolute path without control characters, '?', '#', '&' or '%'");
    if (!is_name(r.fstype)) f.wrong("fstype", "a filesystem type name");
    return r;
  }
  if (type == "error") return GuestError{f.text("step", true), f.text("message", true)};
  if (type == "stopped") return Stopped{f.flag("clean", true), f.text("warning", false)};
  if (type == "output") {
    std::string stream = f.text("stream", true);
    if (stream != "stdout" && stream != "stderr") f.wrong("stream", "stdout or stderr");
    std::string hex = f.text("data_hex", true);
    try {
      return Output{stream == "stderr", hex_decode(hex)};
    } catch (const ProtocolError&) {
      f.wrong("data_hex", "hexadecimal");
    }
  }
  if (type == "exit") return Exit{f.small_integer("code", 0, 255)};
  if (type == "inspected") return Inspected{message};
  throw ProtocolError("unknown message type " + quoted_type(type) + " from the guest");
}

const char* type_name(const GuestReply& reply) {
  static constexpr const char* kNames[] = {"hello",   "progress", "log",  "ready",    "error",
                                           "stopped", "output",   "exit", "inspected"};
  static_assert(std::size(kNames) == std::variant_size_v<GuestReply>);
  return kNames[reply.index()];
}

ProtocolError unexpected(const GuestReply& reply, const std::string& phase) {
  return ProtocolError(std::string("unexpected '") + type_name(reply) + "' message from the guest " + phase);
}

ReceivedReply receive_reply(LineChannel& channel, const Deadline& deadline) {
  auto r = channel.receive(deadline);
  if (r.status != LineChannel::Status::kMessage) return {r.status, {}};
  return {r.status, parse_guest_reply(r.message)};
}

}  // namespace alfs::protocol
