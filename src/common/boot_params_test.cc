#include "common/boot_params.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

TEST(BootParams, DefaultsAreQemusAndWriteNothing) {
  EXPECT_EQ(boot_params_command_line(BootParams{}), "");
  BootParams parsed = parse_boot_params("console=ttyS0 quiet alfs_root=LABEL=alfs-root\n");
  EXPECT_EQ(parsed.channel, ChannelTransport::kVirtioSerial);
  EXPECT_EQ(parsed.network, (GuestNetwork{"", "127.0.0.1"}));  // no device: the stream relay
}

TEST(BootParams, VsockAndGvproxyRoundTrip) {
  BootParams krun{ChannelTransport::kVsock, gvproxy_network()};
  std::string words = boot_params_command_line(krun);
  EXPECT_EQ(words, "alfs.channel=vsock alfs.net=192.168.127.2/24,192.168.127.1");
  EXPECT_EQ(parse_boot_params("console=hvc0 quiet " + words + " panic=-1\n"), krun);
}

TEST(BootParams, MalformedWordsAreNamed) {
  try {
    parse_boot_params("alfs.channel=pigeon");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "kernel command line: unknown channel transport in 'alfs.channel=pigeon' (vsock, virtio-serial)");
  }
  for (const char* bad : {"alfs.net=192.168.127.2", "alfs.net=192.168.127.2/24", "alfs.net=192.168.127.2/24,",
                          "alfs.net=1.2.3.4,5.6.7.8/24", "alfs.net=1.2.3.4/24,5.6.7.8,9"})
    EXPECT_THROW(parse_boot_params(bad), Error) << bad;
}

}  // namespace
}  // namespace alfs
