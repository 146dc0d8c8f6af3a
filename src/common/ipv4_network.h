// IPv4 networks as users write them (-b's --allow, [share] allow).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace alfs {

// An IPv4 network, ADDR[/PREFIX].
struct Ipv4Network {
  uint32_t address = 0;  // host order, the bits past the prefix zero
  int prefix = 32;
  bool contains(const in_addr& a) const;
  std::string to_string() const;
  friend bool operator==(const Ipv4Network&, const Ipv4Network&) = default;
};
// "192.168.1.0/24", "10.1.2.3" (a /32); throws Error naming the text. Host bits past the
// prefix are an error (a typo for another network, likely).
Ipv4Network parse_network(std::string_view text);

}  // namespace alfs
