#include "vm/socket_owner.h"

#include <cstdlib>
#include <string>
#include <vector>

namespace alfs::vm {

namespace {
// "0100007F:0801": the address as the kernel's u32 printed in hex (network order read as
// a host u32, so it equals s_addr on this host), the port in host order.
bool same_end(std::string_view field, const sockaddr_in& end) {
  size_t colon = field.find(':');
  if (colon != 8 || field.size() != 13) return false;
  std::string addr(field.substr(0, 8)), port(field.substr(9, 4));
  char* stop = nullptr;
  unsigned long a = std::strtoul(addr.c_str(), &stop, 16);
  if (*stop != '\0') return false;
  unsigned long p = std::strtoul(port.c_str(), &stop, 16);
  if (*stop != '\0') return false;
  return a == end.sin_addr.s_addr && p == ntohs(end.sin_port);
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}
}  // namespace

std::optional<uid_t> owner_in_proc_net_tcp(std::string_view text, const sockaddr_in& local, const sockaddr_in& remote) {
  // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ..."
  size_t pos = text.find('\n');  // the header
  while (pos != std::string_view::npos && pos + 1 < text.size()) {
    size_t end = text.find('\n', pos + 1);
    std::string_view line =
        text.substr(pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1);
    pos = end;
    auto f = fields(line);
    if (f.size() < 8 || !same_end(f[1], local) || !same_end(f[2], remote)) continue;
    std::string uid(f[7]);
    char* stop = nullptr;
    unsigned long value = std::strtoul(uid.c_str(), &stop, 10);
    if (uid.empty() || *stop != '\0') return std::nullopt;
    return static_cast<uid_t>(value);
  }
  return std::nullopt;
}

}  // namespace alfs::vm
