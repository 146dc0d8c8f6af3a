// list: the host's disks (or the named ones) and the identifiers `mount` accepts.
// Volume groups, RAID arrays and (with -d) what encrypted containers hold are only
// visible to Linux's own tools: one short-lived VM sees those disks read-only.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/commands.h"
#include "cli/platform.h"
#include "cli/say.h"
#include "cli/tool_vm.h"
#include "common/error.h"
#include "common/guest_reply.h"
#include "common/printable.h"
#include "common/status_line.h"
#include "disk/disk_list.h"
#include "disk/disk_list_format.h"
#include "disk/guest_listing.h"
#include "disk/volume.h"
#include "host/secrets.h"

namespace alfs::cli {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kInspectTimeout = 300s;
constexpr size_t kMaxAttached = 26;

bool is_assembled_member(const std::string& type) { return type == "LVM2_member" || type == "linux_raid_member"; }

bool decrypt_requested(const ListArgs& args, const ListedDisk& disk) {
  if (args.decrypt.empty()) return false;
  if (args.decrypt == "all" || args.decrypt == disk.path) return true;
  std::error_code ec;
  return fs::equivalent(args.decrypt, disk.path, ec);
}

// Boots the VM, unlocks and assembles; applies what it saw to `disks`. A failure of the
// whole inspection lands on every disk it concerned: the rest of the list stands.
void inspect_in_guest(const ListArgs& args, std::vector<ListedDisk>& disks) {
  std::vector<size_t> attached;
  for (size_t i = 0; i < disks.size() && attached.size() < kMaxAttached; ++i) {
    const ListedDisk& d = disks[i];
    if (!d.error.empty() || d.format != "raw") continue;
    bool wanted = false;
    for (const auto& v : d.volumes)
      wanted = wanted || is_assembled_member(v.type) || (is_encrypted_type(v.type) && decrypt_requested(args, d));
    if (wanted) attached.push_back(i);
  }
  if (attached.empty()) return;

  protocol::InspectRequest request;
  std::vector<std::string> drives;
  for (size_t a = 0; a < attached.size(); ++a) {
    const ListedDisk& d = disks[attached[a]];
    if (!decrypt_requested(args, d)) continue;
    for (const auto& v : d.volumes) {
      if (!is_encrypted_type(v.type)) continue;
      request.keys.push_back({guest_device_name(a, v.index), ""});
      drives.push_back(v.identifier);
    }
  }
  std::vector<vm::DiskAttachment> vm_disks;
  for (size_t i : attached) {
    // The host's name of a block device may be a loop device of an image: either is fine.
    vm_disks.push_back({disks[i].path, true, "raw"});
  }
  try {
    auto secrets = collect_secrets(drives, system_secret_sources("", false));
    for (size_t k = 0; k < secrets.size(); ++k) request.keys[k].secret = std::move(secrets[k]);
    // The VM takes seconds (under TCG tens of them): on a terminal, say what list waits for.
    std::string what = "starting a VM to look inside " + std::to_string(attached.size()) +
                       (attached.size() == 1 ? " disk" : " disks") + " (volume groups, RAID, encryption)";
    std::optional<StatusLine> status;
    if (say().verbose()) {
      say().step(what);
    } else if (!say().quiet() && ::isatty(STDERR_FILENO)) {
      status.emplace(STDERR_FILENO, true);
      status->update("anylinuxfs: " + what);
    }
    auto tool = ToolVm::boot("list", std::move(vm_disks));
    nlohmann::json message = protocol::to_json(request);
    protocol::wipe_secrets(request.keys);
    tool->vm().channel().send_and_wipe(message);
    auto r = protocol::receive_reply(tool->vm().channel(), Deadline(kInspectTimeout));
    if (r.status == protocol::LineChannel::Status::kTimeout)
      throw Error("the guest did not answer within " + std::to_string(kInspectTimeout.count()) + " s");
    if (r.status == protocol::LineChannel::Status::kClosed)
      throw Error("the VM ended before answering (see `anylinuxfs dmesg`)");
    status.reset();
    if (auto* error = std::get_if<protocol::GuestError>(&r.reply)) throw Error(error->message);
    auto* inspected = std::get_if<protocol::Inspected>(&r.reply);
    if (!inspected) throw protocol::unexpected(r.reply, "while inspecting");
    for (const auto& warning : apply_inspection(disks, attached, inspected->report))
      std::fprintf(stderr, "anylinuxfs: warning: %s\n", printable(warning).c_str());
    tool->vm().process().wait_for(10s);  // it powers off by itself; the console log is then complete
  } catch (const Error& e) {
    for (auto& key : request.keys) protocol::wipe(key.secret);
    for (size_t i : attached) {
      ListedDisk& d = disks[i];
      d.error += (d.error.empty() ? "" : "; ") + std::string("cannot look inside in a VM: ") + e.what();
    }
  }
}

}  // namespace

int list_command(const ListArgs& args) {
  ListFilter filter = args.linux_only       ? ListFilter::kLinux
                      : args.microsoft_only ? ListFilter::kMicrosoft
                                            : ListFilter::kDefault;
  std::vector<ListedDisk> disks =
      args.disks.empty() ? host_disks(vm::read_host_facts().os) : list_named_disks(args.disks);
  inspect_in_guest(args, disks);
  // A disk the user named is shown even when nothing on it passes the filter.
  disks = filter_disks(std::move(disks), filter, !args.disks.empty());
  // Labels and names come off the disks and out of the guest (JSON escapes them itself).
  std::string out = args.json ? format_json(disks) : printable(format_table(disks), true);
  std::fputs(out.c_str(), stdout);
  // A disk the user asked about that could not be read fails the command; one it found by
  // itself (a device the user may not open, say) is only a row with its error.
  for (const ListedDisk& disk : disks) {
    if (!disk.error.empty() && (!args.disks.empty() || decrypt_requested(args, disk))) return 1;
  }
  return 0;
}

}  // namespace alfs::cli
