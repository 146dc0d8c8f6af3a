// What the host tells the guest agent on the kernel command line: which transport the
// two channels use and the guest's network. QEMU passes nothing (virtio-serial ports, no
// network device); the libkrun backend passes vsock and gvproxy's network.
#pragma once

#include <string>
#include <string_view>

namespace alfs {

enum class ChannelTransport { kVirtioSerial, kVsock };

// The guest's address and its gateway, which is also where forwards from the host's
// loopback arrive from (so the only client a default export admits).
struct GuestNetwork {
  std::string address;  // with its prefix length, for `ip addr add`; empty: no device
  std::string gateway;
  friend bool operator==(const GuestNetwork&, const GuestNetwork&) = default;
};

// QEMU: no network device; the host's forwards arrive through the agent's stream relay
// (common/stream_mux.h), from the guest's own loopback.
GuestNetwork relay_network();
// gvproxy's fixed network: its DHCP lease for the guest, its gateway.
GuestNetwork gvproxy_network();

struct BootParams {
  ChannelTransport channel = ChannelTransport::kVirtioSerial;
  GuestNetwork network = relay_network();
  friend bool operator==(const BootParams&, const BootParams&) = default;
};

// "alfs.channel=vsock alfs.net=192.168.127.2/24,192.168.127.1"; empty for the defaults.
std::string boot_params_command_line(const BootParams& params);
// Reads them back from /proc/cmdline's text (other words are ignored); throws Error
// naming a malformed alfs.* word.
BootParams parse_boot_params(std::string_view cmdline);

}  // namespace alfs
