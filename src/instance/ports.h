// Host ports for an instance's NFS forwards.
#pragma once

#include <string>
#include <vector>

namespace alfs {

// `count` distinct TCP ports that are free on `address` right now (the kernel picks
// them); the instance listens on them moments later. Throws Error naming the address.
std::vector<int> pick_free_ports(const std::string& address, int count);

}  // namespace alfs
