// The control protocol between the host supervisor and the guest agent:
// one JSON object per line over the virtio-serial port "anylinuxfs.control" (QEMU)
// or vsock port 1024 (libkrun).
//
//   guest -> host  {"type":"hello","kernel":"6.12..."}     agent is up, waits for a request
//   host  -> guest {"type":"mount", ...MountRequest}
//   guest -> host  {"type":"progress","step":"mount"}      informational
//   guest -> host  {"type":"log","text":"..."}             a custom action's output, for the instance log
//   guest -> host  {"type":"ready","export":"/mnt/disk"}   the export is served
//   guest -> host  {"type":"error","step":"mount","message":"mount: ... wrong fs type"}
//   host  -> guest {"type":"stop"}                         unmount, sync, power off
//   guest -> host  {"type":"stopped","clean":true}         the filesystem is unmounted
//   host  -> guest {"type":"inspect","keys":[...]}         `list`: the disks are attached read-only
//   guest -> host  {"type":"inspected",...}                what the guest sees (guest/inspector.h)
// Before the request, QEMU's instant mount (vm/guest_template.h):
//   host  -> guest {"type":"prepare","export_client":"127.0.0.1"}  make ready what needs no disk, export
//                                                          the mount point to that client early; "hello" again
//   host  -> guest {"type":"restore",...RestoreRequest}    restored: clock, entropy, disks; "hello" again
// When the host side closes the channel the guest shuts down as if told "stop".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/deadline.h"
#include "common/error.h"

namespace alfs::protocol {

inline constexpr const char* kPortName = "anylinuxfs.control";
// A second port for `vm exec` / `vm attach` of a running instance (see guest/exec_server.h).
inline constexpr const char* kExecPortName = "anylinuxfs.exec";
// QEMU: the host's NFS forwards, as streams over one port (common/stream_mux.h).
inline constexpr const char* kNetPortName = "anylinuxfs.net";
// The same two channels over vsock (libkrun), which relays these guest ports to the
// host's control and exec sockets: the guest connects to the first, listens on the second.
inline constexpr uint32_t kControlVsockPort = 1024;
inline constexpr uint32_t kExecVsockPort = 1025;
inline constexpr const char* kGuestMountPoint = "/mnt/disk";
inline constexpr int kGuestNfsPort = 2049;
inline constexpr int kGuestMountdPort = 20048;
// QEMU: the guest's relay connects a stream from the network (a -b share) from this
// address, so that its export can squash root for such clients alone.
inline constexpr const char* kGuestNetworkClientAddress = "127.0.0.2";

class ProtocolError : public Error {
 public:
  using Error::Error;
};

// The secret that unlocks one encrypted device: a passphrase or a key file's bytes.
// It travels only in the mount request (hex-encoded) and is wiped after use.
struct UnlockKey {
  std::string device;  // e.g. /dev/vdb2
  std::string secret;
  friend bool operator==(const UnlockKey&, const UnlockKey&) = default;
};

// A custom action's part in the guest (config/config.h CustomAction, with the captured
// host variables already in `environment`).
struct ActionScripts {
  std::string name;
  std::string before_mount, after_mount, before_unmount;  // /bin/sh -c scripts; empty: none
  std::vector<std::string> environment;                   // NAME=value
  std::string override_nfs_export;                        // guest path exported instead of the mount
  std::vector<std::string> nfs_export_subdirs;            // below the export, exported too (relative)
  friend bool operator==(const ActionScripts&, const ActionScripts&) = default;
};

struct MountRequest {
  std::vector<std::string> devices;  // guest block devices, e.g. /dev/vda
  std::string fstype;                // empty: let mount(8) probe
  std::string options;               // the user's -o, passed to mount(8)
  bool read_only = false;
  std::string export_client;    // the address of the instance's own clients: exported as asked
  std::string shared_client;    // -b: who else the export admits, with root squashed (empty: none)
  std::vector<UnlockKey> keys;  // for the encrypted devices among `devices`
  std::string volume_group;     // LVM: activate this VG, then mount `logical_volume`
  std::string logical_volume;
  bool raid = false;            // mdadm: assemble `devices` into one array, mount it
  std::string disk;             // the identifier as the user gave it (ALFS_DISK for scripts)
  bool squash_to_root = false;  // --ignore-permissions: every client acts as root in the guest
  std::string export_options;   // --nfs-export-opts, checked on the host (nfs/nfs_options.h)
  ActionScripts action;         // -a; without devices a "diskless" action exports its own path
  friend bool operator==(const MountRequest&, const MountRequest&) = default;
};

// `list`: unlock these, assemble and activate everything, report what is there.
struct InspectRequest {
  std::vector<UnlockKey> keys;
  friend bool operator==(const InspectRequest&, const InspectRequest&) = default;
};

// A guest restored from a template (guest/restore.h) renews what it must not share
// with the template or another restore of it, and takes the disks hot-plugged for it.
struct RestoreRequest {
  int64_t time_ns = 0;  // the host's CLOCK_REALTIME
  std::string entropy;  // fresh random bytes for the guest's pool (hex in the message)
  int disks = 0;        // on the SCSI bus at LUN 0..disks-1, in the order of the mount's /dev/vdX
  friend bool operator==(const RestoreRequest&, const RestoreRequest&) = default;
};

struct GuestError {
  std::string step;     // "mount", "nfs", "modules", ...
  std::string message;  // the guest tool's own error text
};

std::string hex_encode(std::string_view bytes);
std::string hex_decode(std::string_view hex);  // throws ProtocolError

// Overwrites a secret's bytes before it is freed: its whole capacity, where an earlier,
// longer value (or the bytes a move left behind) may still be.
void wipe(std::string& secret);
void wipe(std::vector<std::string>& secrets);  // each of them; then empties the vector
// The keys' secrets and the action's environment (captured host variables), each left
// empty. Allocates and frees nothing: safe in a forked child of a threaded process.
void wipe_secrets(MountRequest& request);
void wipe_secrets(std::vector<UnlockKey>& keys);
// The same in a request as JSON: "keys"[].secret_hex and "action"."environment".
void wipe_secrets(nlohmann::json& message);

nlohmann::json to_json(const MountRequest& request);
MountRequest mount_request_from_json(const nlohmann::json& message);  // throws ProtocolError
nlohmann::json to_json(const InspectRequest& request);
InspectRequest inspect_request_from_json(const nlohmann::json& message);  // throws ProtocolError
nlohmann::json to_json(const RestoreRequest& request);
RestoreRequest restore_request_from_json(const nlohmann::json& message);  // throws ProtocolError

// One line of JSON (no trailing newline); throws ProtocolError on garbage or a non-object.
// `typed`: a message without a "type" is a ProtocolError too (ours; QEMU's QMP has none).
nlohmann::json decode_line(std::string_view line, bool typed = true);
std::string encode_line(const nlohmann::json& message);  // ends with '\n'

// The "type" of a message, or throws ProtocolError.
std::string message_type(const nlohmann::json& message);

// A line-oriented channel over a connected fd (socket or virtio port). Not thread-safe.
class LineChannel {
 public:
  // `typed`: every message has a "type" (decode_line).
  explicit LineChannel(int fd, bool typed = true) : fd_(fd), typed_(typed) {}

  // Throws SystemError, or Error when the peer does not take the line within 5 s.
  // The encoded line (and every buffer it outgrew) is wiped: a line may carry secrets.
  void send(const nlohmann::json& message);
  // A request that carries secrets: like send, then wipe_secrets(message), sent or not.
  void send_and_wipe(nlohmann::json& message);
  enum class Status { kMessage, kTimeout, kClosed };
  struct Received {
    Status status;
    nlohmann::json message;
  };
  // Waits for the next message until the deadline. Lines longer than 1 MiB are a ProtocolError.
  Received receive(const Deadline& deadline);
  int fd() const { return fd_; }

 private:
  std::optional<std::string> take_line();
  int fd_;
  bool typed_;
  std::string buffer_;
};

}  // namespace alfs::protocol
