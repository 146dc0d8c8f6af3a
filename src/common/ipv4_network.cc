#include "common/ipv4_network.h"

#include <arpa/inet.h>

#include <charconv>

#include "common/error.h"

namespace alfs {

namespace {
uint32_t mask(int prefix) { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
}  // namespace

bool Ipv4Network::contains(const in_addr& a) const { return (ntohl(a.s_addr) & mask(prefix)) == address; }

std::string Ipv4Network::to_string() const {
  in_addr a{htonl(address)};
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix);
}

Ipv4Network parse_network(std::string_view text) {
  auto bad = [&](const std::string& why) { return Error("bad network \"" + std::string(text) + "\": " + why); };
  size_t slash = text.find('/');
  std::string address(text.substr(0, slash));
  in_addr a{};
  if (::inet_pton(AF_INET, address.c_str(), &a) != 1) throw bad("not an IPv4 address (ADDR or ADDR/PREFIX)");
  Ipv4Network n{ntohl(a.s_addr), 32};
  if (slash != std::string_view::npos) {
    std::string_view prefix = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), n.prefix);
    if (prefix.empty() || ec != std::errc() || end != prefix.data() + prefix.size() || n.prefix < 0 || n.prefix > 32)
      throw bad("the prefix length must be 0 to 32");
  }
  if ((n.address & ~mask(n.prefix)) != 0)
    throw bad("host bits set past /" + std::to_string(n.prefix) + " (did you mean " +
              Ipv4Network{n.address & mask(n.prefix), n.prefix}.to_string() + "?)");
  return n;
}

}  // namespace alfs
