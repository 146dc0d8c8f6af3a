#include "common/ipv4_network.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

TEST(Ipv4Network, ParsesAddressesAndPrefixes) {
  EXPECT_EQ(parse_network("10.0.0.0/8"), (Ipv4Network{0x0a000000, 8}));
  EXPECT_EQ(parse_network("192.168.1.5"), (Ipv4Network{0xc0a80105, 32}));
  EXPECT_EQ(parse_network("0.0.0.0/0").to_string(), "0.0.0.0/0");
  for (const char* bad :
       {"", "10.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "host.example", "::1", "10.0.0.0/8/8"})
    EXPECT_THROW(parse_network(bad), Error) << bad;
  try {
    parse_network("10.1.2.3/8");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "bad network \"10.1.2.3/8\": host bits set past /8 (did you mean 10.0.0.0/8?)");
  }
}

TEST(Ipv4Network, ContainsItsAddressesOnly) {
  in_addr a{};
  ::inet_pton(AF_INET, "10.9.255.1", &a);
  EXPECT_TRUE(parse_network("10.9.0.0/16").contains(a));
  EXPECT_FALSE(parse_network("10.8.0.0/16").contains(a));
  EXPECT_TRUE(parse_network("0.0.0.0/0").contains(a));
  EXPECT_FALSE(parse_network("10.9.255.2").contains(a));
}

}  // namespace
}  // namespace alfs
