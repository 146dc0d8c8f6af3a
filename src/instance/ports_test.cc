#include "instance/ports.h"

#include <gtest/gtest.h>

#include <set>

#include "common/error.h"

namespace alfs {
namespace {

TEST(PickFreePorts, DistinctUnprivilegedPorts) {
  auto ports = pick_free_ports("127.0.0.1", 3);
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(std::set<int>(ports.begin(), ports.end()).size(), 3u);
  for (int p : ports) EXPECT_GT(p, 1023);
}

// An address of no interface here (TEST-NET-1): the message says what was looked for.
TEST(PickFreePorts, AnAddressNotOnThisHostHasNoFreePort) {
  try {
    pick_free_ports("192.0.2.1", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no free port on 192.0.2.1: "), std::string::npos) << e.what();
  }
}

TEST(PickFreePorts, BadAddressIsANamedError) {
  try {
    pick_free_ports("localhost:1", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("localhost:1"), std::string::npos);
  }
}

}  // namespace
}  // namespace alfs
