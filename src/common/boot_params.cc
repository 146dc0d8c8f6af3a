#include "common/boot_params.h"

#include <sstream>

#include "common/error.h"

namespace alfs {

namespace {
constexpr std::string_view kChannelKey = "alfs.channel=";
constexpr std::string_view kNetKey = "alfs.net=";
}  // namespace

GuestNetwork relay_network() { return {"", "127.0.0.1"}; }
GuestNetwork gvproxy_network() { return {"192.168.127.2/24", "192.168.127.1"}; }

std::string boot_params_command_line(const BootParams& params) {
  std::string out;
  if (params.channel == ChannelTransport::kVsock) out += std::string(kChannelKey) + "vsock";
  if (params.network != relay_network())
    out += (out.empty() ? "" : " ") + std::string(kNetKey) + params.network.address + "," + params.network.gateway;
  return out;
}

BootParams parse_boot_params(std::string_view cmdline) {
  BootParams params;
  std::istringstream words{std::string(cmdline)};
  std::string word;
  while (words >> word) {
    if (word.starts_with(kChannelKey)) {
      std::string value = word.substr(kChannelKey.size());
      if (value == "vsock")
        params.channel = ChannelTransport::kVsock;
      else if (value == "virtio-serial")
        params.channel = ChannelTransport::kVirtioSerial;
      else
        throw Error("kernel command line: unknown channel transport in '" + word + "' (vsock, virtio-serial)");
    } else if (word.starts_with(kNetKey)) {
      std::string value = word.substr(kNetKey.size());
      size_t comma = value.find(',');
      size_t slash = value.find('/');
      if (comma == std::string::npos || slash == std::string::npos || slash > comma || comma + 1 == value.size() ||
          value.find(',', comma + 1) != std::string::npos)
        throw Error("kernel command line: '" + word + "' is not alfs.net=<address>/<prefix>,<gateway>");
      params.network = {value.substr(0, comma), value.substr(comma + 1)};
    }
  }
  return params;
}

}  // namespace alfs
