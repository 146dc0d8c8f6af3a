// Agent step sequence against a fake Runner (no processes are spawned).
#include "guest/agent.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "guest/fake_runner.h"

namespace alfs::guest {
namespace {

protocol::MountRequest request(bool ro = false) {
  protocol::MountRequest r;
  r.devices = {"/dev/vda"};
  r.fstype = "ext4";
  r.options = "noatime";
  r.read_only = ro;
  r.export_client = "10.0.2.2";
  return r;
}

bool contains(const std::vector<std::string>& calls, const std::string& line) {
  return std::find(calls.begin(), calls.end(), line) != calls.end();
}

TEST(AgentWithFakeRunner, MountsThenExportsToTheHostOnly) {
  FakeRunner runner;
  Agent agent(runner);
  EXPECT_EQ(agent.mount(request()), std::nullopt);
  // A kernel filesystem without a helper: mount(2), no mount(8) process.
  EXPECT_TRUE(contains(runner.calls, "mount(2) -t ext4 -o noatime /dev/vda /mnt/disk"));
  EXPECT_FALSE(contains(runner.calls, "mount -t ext4 -o noatime /dev/vda /mnt/disk"));
  EXPECT_TRUE(contains(runner.calls,
                       "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1 10.0.2.2:/mnt/disk"));
  auto mount_at = std::find(runner.calls.begin(), runner.calls.end(), "mount(2) -t ext4 -o noatime /dev/vda /mnt/disk");
  auto export_at = std::find_if(runner.calls.begin(), runner.calls.end(),
                                [](const std::string& c) { return c.rfind("exportfs -i", 0) == 0; });
  ASSERT_NE(export_at, runner.calls.end());
  EXPECT_LT(mount_at, export_at) << "the export must not be served before the disk is mounted";
}

TEST(AgentWithFakeRunner, ReportsTheFilesystemNotItsDriver) {
  FakeRunner runner;
  runner.outputs["findmnt -n -o FSTYPE"] = "fuseblk\n";
  runner.outputs["blkid -o value -s TYPE"] = "ntfs\n";
  runner.outputs["blkid -o value -s LABEL"] = "photos\n";
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.fstype = "";
  r.keys = {{"/dev/vda", "pw"}};
  ASSERT_EQ(agent.mount(r), std::nullopt);
  EXPECT_EQ(agent.mounted_volume().fstype, "ntfs");
  EXPECT_EQ(agent.mounted_volume().label, "photos");
}

// A -b share: the instance's own clients as before, the network's (relayed from another
// address) with root squashed; --ignore-permissions squashes everyone to root as asked.
TEST(AgentWithFakeRunner, ASharedClientIsExportedWithRootSquashed) {
  FakeRunner runner;
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.shared_client = "127.0.0.2";
  EXPECT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(contains(runner.calls,
                       "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1 10.0.2.2:/mnt/disk"));
  EXPECT_TRUE(contains(runner.calls,
                       "exportfs -i -o rw,sync,root_squash,insecure,no_subtree_check,fsid=1 127.0.0.2:/mnt/disk"));
  r.squash_to_root = true;
  EXPECT_EQ(Agent::export_options(r, 1, true),
            "rw,sync,all_squash,anonuid=0,anongid=0,insecure,no_subtree_check,fsid=1");
}

TEST(AgentWithFakeRunner, ReadOnlyMountsAndExportsReadOnly) {
  FakeRunner runner;
  Agent agent(runner);
  EXPECT_EQ(agent.mount(request(true)), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "mount(2) -t ext4 -o noatime,ro /dev/vda /mnt/disk"));
  EXPECT_EQ(Agent::export_options(request(true)).substr(0, 3), "ro,");
  protocol::MountRequest squashed = request();
  squashed.squash_to_root = true;
  EXPECT_EQ(Agent::export_options(squashed), "rw,sync,all_squash,anonuid=0,anongid=0,insecure,no_subtree_check,fsid=1");
}

// Index of the first call starting with `prefix`; calls.size() when none does.
size_t call_index(const std::vector<std::string>& calls, const std::string& prefix) {
  for (size_t i = 0; i < calls.size(); ++i)
    if (calls[i].rfind(prefix, 0) == 0) return i;
  return calls.size();
}

protocol::MountRequest with_action() {
  protocol::MountRequest r = request();
  r.disk = "disk.img";
  r.action = {"act", "echo before", "echo after", "echo unmount", {"GREETING=hello"}, ""};
  return r;
}

TEST(AgentWithFakeRunner, ActionScriptsRunAroundTheMountInOrder) {
  FakeRunner runner;
  runner.outputs["script 'echo after'"] = "after says hi\n";
  std::vector<std::string> sunk;
  Agent agent(runner);
  agent.set_output_sink([&](const std::string& line) { sunk.push_back(line); });
  ASSERT_FALSE(agent.mount(with_action()).has_value());
  auto& c = runner.calls;
  EXPECT_LT(call_index(c, "script 'echo before'"), call_index(c, "mount(2) -t ext4"));
  EXPECT_LT(call_index(c, "mount(2) -t ext4"), call_index(c, "script 'echo after'"));
  EXPECT_LT(call_index(c, "script 'echo after'"), call_index(c, "exportfs"));
  EXPECT_EQ(sunk, std::vector<std::string>{"after_mount: after says hi"});
  EXPECT_EQ(runner.script_env,
            (std::vector<std::string>{"ALFS_VM_MOUNT_POINT=/mnt/disk", "ALFS_VM_DEVICE=/dev/vda", "ALFS_VM_FSTYPE=ext4",
                                      "ALFS_DISK=disk.img", "ALFS_ACTION=act", "GREETING=hello"}));
  EXPECT_TRUE(agent.shutdown());
  EXPECT_LT(call_index(c, "write /proc/fs/nfsd/threads 0"), call_index(c, "script 'echo unmount'"));
  EXPECT_LT(call_index(c, "script 'echo unmount'"), call_index(c, "mount -o remount,ro /mnt/disk"));
}

TEST(AgentWithFakeRunner, AFailingBeforeMountStopsTheMountWithItsOutput) {
  FakeRunner runner;
  runner.fail("script 'echo before'", "no such repository\n");
  Agent agent(runner);
  auto error = agent.mount(with_action());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step, "before_mount");
  EXPECT_EQ(error->message, "custom action act: before_mount script failed with exit code 32: no such repository");
  EXPECT_FALSE(contains(runner.calls, "mount -t ext4 -o noatime /dev/vda /mnt/disk"));
  EXPECT_TRUE(agent.shutdown());
  EXPECT_EQ(call_index(runner.calls, "script 'echo unmount'"), runner.calls.size())
      << "before_unmount only undoes a before_mount that ran";
}

TEST(AgentWithFakeRunner, AFailingBeforeUnmountIsAWarningAndTheUnmountProceeds) {
  FakeRunner runner;
  runner.fail("script 'echo unmount'", "busy\n");
  Agent agent(runner);
  ASSERT_FALSE(agent.mount(with_action()).has_value());
  EXPECT_TRUE(agent.shutdown());
  EXPECT_TRUE(contains(runner.calls, "mount -o remount,ro /mnt/disk"));
  EXPECT_EQ(agent.shutdown_warning(), "custom action act: before_unmount script failed with exit code 32: busy");
}

TEST(AgentWithFakeRunner, AnActionCanExportAnotherPath) {
  FakeRunner runner;
  protocol::MountRequest r = with_action();
  r.action.override_nfs_export = "/mnt/disk/repo";
  Agent agent(runner);
  ASSERT_FALSE(agent.mount(r).has_value());
  EXPECT_EQ(agent.export_path(), "/mnt/disk/repo");
  EXPECT_NE(call_index(runner.calls,
                       "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1 "
                       "10.0.2.2:/mnt/disk/repo"),
            runner.calls.size());
}

TEST(AgentWithFakeRunner, TheUsersExportOptionsComeLast) {
  FakeRunner runner;
  protocol::MountRequest r = request();
  r.export_options = "no_wdelay";
  Agent agent(runner);
  ASSERT_FALSE(agent.mount(r).has_value());
  EXPECT_TRUE(contains(runner.calls,
                       "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1,no_wdelay "
                       "10.0.2.2:/mnt/disk"));
}

TEST(AgentWithFakeRunner, AnActionsSubdirsAreExportedBelowTheExport) {
  FakeRunner runner;
  protocol::MountRequest r = with_action();
  r.action.nfs_export_subdirs = {"sub", "a/b"};
  Agent agent(runner);
  ASSERT_FALSE(agent.mount(r).has_value());
  size_t parent = call_index(runner.calls,
                             "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1 "
                             "10.0.2.2:/mnt/disk");
  size_t sub = call_index(runner.calls,
                          "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=2,nohide "
                          "10.0.2.2:/mnt/disk/sub");
  size_t ab = call_index(runner.calls,
                         "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=3,nohide "
                         "10.0.2.2:/mnt/disk/a/b");
  ASSERT_NE(ab, runner.calls.size());
  EXPECT_LT(parent, sub);
  EXPECT_LT(sub, ab);
}

TEST(AgentWithFakeRunner, ADisklessActionMountsNothingAndExportsItsPath) {
  FakeRunner runner;
  runner.outputs["findmnt -n -o FSTYPE -T /etc"] = "ext4\n";
  protocol::MountRequest r;
  r.export_client = "10.0.2.2";
  r.read_only = true;
  r.action = {"etc", "", "", "", {}, "/etc"};
  Agent agent(runner);
  ASSERT_FALSE(agent.mount(r).has_value());
  for (const auto& call : runner.calls)
    EXPECT_FALSE(call.rfind("mount", 0) == 0 && call.ends_with("/mnt/disk")) << call;
  EXPECT_NE(call_index(runner.calls, "exportfs -i -o ro,"), runner.calls.size());
  EXPECT_EQ(agent.export_path(), "/etc");
  EXPECT_EQ(agent.mounted_volume().fstype, "ext4");
  EXPECT_TRUE(agent.shutdown());
  EXPECT_FALSE(contains(runner.calls, "umount /mnt/disk"));
  EXPECT_FALSE(contains(runner.calls, "mount -o remount,ro /mnt/disk"));
}

TEST(AgentWithFakeRunner, MountFailureCarriesTheToolsOwnText) {
  FakeRunner runner;
  runner.fail("mount -t ext4", "mount: /mnt/disk: wrong fs type, bad option, bad superblock on /dev/vda.\n");
  Agent agent(runner);
  auto error = agent.mount(request());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step, "mount");
  EXPECT_EQ(error->message, "mount: /mnt/disk: wrong fs type, bad option, bad superblock on /dev/vda.");
  EXPECT_EQ(call_index(runner.calls, "exportfs"), runner.calls.size()) << "no export after a failed mount";
  EXPECT_TRUE(agent.shutdown());
  EXPECT_FALSE(contains(runner.calls, "umount /mnt/disk")) << "nothing was mounted";
  EXPECT_FALSE(contains(runner.calls, "mount -o remount,ro /mnt/disk")) << "nothing was mounted";
}

TEST(AgentWithFakeRunner, ATypeTheGuestHasNoDriverForIsRefused) {
  FakeRunner runner;  // neither in its /proc/filesystems nor a mount.nosuchfs helper
  runner.fail("modprobe -q nosuchfs", "");
  protocol::MountRequest r = request();
  r.fstype = "nosuchfs";
  Agent agent(runner);
  auto error = agent.mount(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "unknown filesystem type 'nosuchfs': the guest has no driver for it");
  EXPECT_FALSE(contains(runner.calls, "mount -t nosuchfs -o noatime /dev/vda /mnt/disk"));
}

// Sequential NFS reads need the disk read ahead further than the default 128 KiB.
TEST(AgentWithFakeRunner, TheMountedDeviceReadsAheadBeforeTheMount) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  EXPECT_LT(call_index(runner.calls, "readahead /dev/vda 2048"),
            call_index(runner.calls, "mount -t ext4 -o noatime /dev/vda /mnt/disk"));
}

// Looked up without a process: the kernel's list of types, then mount(8)'s helpers.
TEST(AgentWithFakeRunner, ATypeIsKnownFromTheKernelOrAMountHelper) {
  for (std::string type : {"ext4", "ntfs"}) {
    FakeRunner runner;
    protocol::MountRequest r = request();
    r.fstype = type;
    Agent agent(runner);
    EXPECT_EQ(agent.mount(r), std::nullopt) << type;
    // ext4 by mount(2); ntfs by mount(8), which runs its helper.
    std::string how = type == "ext4" ? "mount(2)" : "mount";
    EXPECT_TRUE(contains(runner.calls, how + " -t " + type + " -o noatime /dev/vda /mnt/disk")) << type;
  }
}

// mount(8) parses what is not a flag, and says why a mount(2) failed in its own words.
TEST(AgentWithFakeRunner, OptionsBeyondFlagsAndFailuresGoToMount8) {
  FakeRunner runner;
  protocol::MountRequest r = request();
  r.options = "noatime,errors=remount-ro";
  Agent agent(runner);
  EXPECT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "mount -t ext4 -o noatime,errors=remount-ro /dev/vda /mnt/disk"));
  EXPECT_FALSE(contains(runner.calls, "mount(2) -t ext4 -o noatime,errors=remount-ro /dev/vda /mnt/disk"));

  FakeRunner failing;
  failing.fail("mount -t ext4", "mount: /mnt/disk: wrong fs type, bad option\n");
  Agent agent2(failing);
  auto error = agent2.mount(request());
  ASSERT_TRUE(error);
  EXPECT_LT(call_index(failing.calls, "mount(2) -t ext4"), call_index(failing.calls, "mount -t ext4"));
  EXPECT_EQ(error->message, "mount: /mnt/disk: wrong fs type, bad option");
}

// A driver the kernel already has (ext4 is built in) costs no modprobe process.
TEST(AgentWithFakeRunner, OnlyADriverTheKernelLacksIsLoaded) {
  for (auto [type, loads] : {std::pair{"ext4", false}, std::pair{"xfs", true}}) {
    FakeRunner runner;
    protocol::MountRequest r = request();
    r.fstype = type;  // the fake kernel lists ext4, not xfs
    Agent agent(runner);
    EXPECT_EQ(agent.mount(r), std::nullopt) << type;
    EXPECT_EQ(contains(runner.calls, std::string("modprobe -q ") + type), loads) << type;
  }
}

TEST(AgentWithFakeRunner, NfsdIsRetriedWhileRpcbindComesUp) {
  FakeRunner runner;
  runner.fail("rpc.nfsd -N 4", "rpc.nfsd: writing fd to kernel failed: errno 111 (Connection refused)\n", 2);
  Agent agent(runner);
  EXPECT_FALSE(agent.mount(request()).has_value());
  EXPECT_EQ(std::count(runner.calls.begin(), runner.calls.end(), "rpc.nfsd -N 4 -p 2049 8"), 3);
  EXPECT_LT(call_index(runner.calls, "wait /run/rpcbind.sock"), call_index(runner.calls, "rpc.nfsd"));
}

TEST(AgentWithFakeRunner, AFailedMountQuotesTheKernel) {
  FakeRunner runner;
  runner.kernel = "kernel: an older message, not about this mount\n";
  runner.fail("mount -t ext4", "mount: /mnt/disk: wrong fs type, bad option\n", -1,
              "kernel: EXT4-fs (vda): Unrecognized mount option \"bogus\" or missing value\n");
  Agent agent(runner);
  auto error = agent.mount(request());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message,
            "mount: /mnt/disk: wrong fs type, bad option\n"
            "kernel: EXT4-fs (vda): Unrecognized mount option \"bogus\" or missing value");
}

TEST(AgentWithFakeRunner, SeveralDevicesAreScannedAsOneBtrfs) {
  FakeRunner runner;
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.fstype = "btrfs";
  r.devices = {"/dev/vda", "/dev/vdb"};
  ASSERT_EQ(agent.mount(r), std::nullopt);
  auto scan = std::find(runner.calls.begin(), runner.calls.end(), "btrfs device scan /dev/vda /dev/vdb");
  auto mount = std::find(runner.calls.begin(), runner.calls.end(), "mount -t btrfs -o noatime /dev/vda /mnt/disk");
  ASSERT_NE(scan, runner.calls.end());
  EXPECT_LT(scan, mount);
}

TEST(AgentWithFakeRunner, ADriversReadOnlyFallbackIsReportedAndExported) {
  FakeRunner runner;
  runner.outputs["mount -t ntfs"] =
      "Falling back to read-only mount because the NTFS partition is in an unsafe state.\n";
  // The latest mount on /mnt/disk counts.
  runner.files["/proc/self/mounts"] += "/dev/vda /mnt/disk fuseblk ro,relatime,user_id=0 0 0\n";
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.fstype = "ntfs";
  ASSERT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(agent.mounted_volume().read_only);
  EXPECT_EQ(agent.mounted_volume().warning,
            "Falling back to read-only mount because the NTFS partition is in an unsafe state.");
  EXPECT_TRUE(contains(runner.calls,
                       "exportfs -i -o ro,sync,no_root_squash,insecure,no_subtree_check,fsid=1 10.0.2.2:/mnt/disk"));
}

TEST(AgentWithFakeRunner, ExfatGoesThroughFuseForNfs) {
  FakeRunner runner;
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.fstype = "exfat";
  r.options = "";
  ASSERT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "mount -t exfat-fuse /dev/vda /mnt/disk"));
}

TEST(AgentWithFakeRunner, UnlocksWithTheSecretOnStdinAndMountsTheMapping) {
  FakeRunner runner;
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.fstype = "";
  r.keys = {{"/dev/vda", "s3cret pass"}};
  ASSERT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "cryptsetup open /dev/vda alfs-crypt0 --key-file=-"));
  EXPECT_EQ(runner.inputs.back(), "s3cret pass");  // after the network's commands
  for (const auto& call : runner.calls) EXPECT_EQ(call.find("s3cret"), std::string::npos) << call;
  EXPECT_TRUE(contains(runner.calls, "mount -o noatime /dev/mapper/alfs-crypt0 /mnt/disk"));
  runner.calls.clear();
  EXPECT_TRUE(agent.shutdown());
  auto umount = std::find(runner.calls.begin(), runner.calls.end(), "umount /mnt/disk");
  auto close = std::find(runner.calls.begin(), runner.calls.end(), "cryptsetup close alfs-crypt0");
  ASSERT_NE(close, runner.calls.end());
  EXPECT_LT(umount, close) << "closed only once unmounted";
}

TEST(AgentWithFakeRunner, AWrongPassphraseIsAnUnlockError) {
  FakeRunner runner;
  runner.fail("cryptsetup open", "No key available with this passphrase.\n");
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.keys = {{"/dev/vda", "wrong"}};
  auto error = agent.mount(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step, "unlock");
  EXPECT_EQ(error->message, "/dev/vda: No key available with this passphrase.");
}

TEST(AgentWithFakeRunner, RaidIsAssembledThenMounted) {
  FakeRunner runner;
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.fstype = "";
  r.devices = {"/dev/vda", "/dev/vdb"};
  r.raid = true;
  ASSERT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "mdadm --assemble /dev/md/alfs /dev/vda /dev/vdb"));
  EXPECT_TRUE(contains(runner.calls, "mount -o noatime /dev/md/alfs /mnt/disk"));
  runner.calls.clear();
  EXPECT_TRUE(agent.shutdown());
  EXPECT_TRUE(contains(runner.calls, "mdadm --stop /dev/md/alfs"));
}

TEST(AgentWithFakeRunner, AMissingLogicalVolumeListsTheOnesThatExist) {
  FakeRunner runner;
  runner.fail("test -b /dev/vg0/nope", "");
  runner.outputs["lvs"] = "  home\n  root\n";
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.volume_group = "vg0";
  r.logical_volume = "nope";
  auto error = agent.mount(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step, "lvm");
  EXPECT_EQ(error->message, "logical volume nope not found in volume group vg0 (it has: home, root)");
}

TEST(AgentWithFakeRunner, AMissingVolumeGroupListsTheOnesThatExist) {
  FakeRunner runner;
  runner.fail("vgchange", "  Volume group \"vgx\" not found\n");
  runner.outputs["vgs"] = "  vg0\n";
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.volume_group = "vgx";
  r.logical_volume = "home";
  auto error = agent.mount(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "Volume group \"vgx\" not found (volume groups found: vg0)");
}

// nfsdcld must be up (its pipe open) when rpc.nfsd starts nfsd, or nfsd waits a second
// for it and falls back to a slow usermode helper.
TEST(AgentWithFakeRunner, NfsdcldRunsBeforeNfsdStarts) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  auto at = [&](const std::string& prefix) {
    return std::find_if(runner.calls.begin(), runner.calls.end(),
                        [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
  };
  ASSERT_NE(at("daemon nfsdcld -F"), runner.calls.end());
  EXPECT_LT(at("mount -t rpc_pipefs rpc_pipefs /run/rpc_pipefs"), at("daemon nfsdcld -F"));
  EXPECT_LT(at("daemon nfsdcld -F"), at("rpc.nfsd -N 4"));
}

// nfsd takes its largest READ/WRITE size only before it starts.
TEST(AgentWithFakeRunner, NfsBlockSizeIsSetBeforeNfsdStarts) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  auto write = std::find(runner.calls.begin(), runner.calls.end(), "write /proc/fs/nfsd/max_block_size 1048576");
  ASSERT_NE(write, runner.calls.end());
  auto nfsd = std::find_if(runner.calls.begin(), runner.calls.end(),
                           [](const std::string& c) { return c.rfind("rpc.nfsd", 0) == 0; });
  EXPECT_LT(std::find(runner.calls.begin(), runner.calls.end(), "mount -t nfsd nfsd /proc/fs/nfsd"), write);
  EXPECT_LT(write, nfsd);
}

// QEMU's guest has no network device: loopback only (the forwards come through the
// stream relay), and no network driver to load.
TEST(AgentWithFakeRunner, TheNetworkIsConfiguredByOneIpProcess) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "ip -batch -"));
  EXPECT_TRUE(contains(runner.calls, "modprobe -a nfsd"));
  EXPECT_EQ(runner.inputs, std::vector<std::string>{"link set lo up\n"});
  FakeRunner failing;
  failing.fail("ip -batch", "Command failed -:2\n");
  Agent broken(failing);
  auto error = broken.mount(request());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step, "network");
  EXPECT_EQ(error->message, "Command failed -:2");
}

TEST(AgentWithFakeRunner, BehindGvproxyTheGuestTakesItsNetwork) {
  FakeRunner runner;
  Agent agent(runner,
              parse_boot_params("console=hvc0 alfs.channel=vsock alfs.net=192.168.127.2/24,192.168.127.1").network);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "modprobe -a virtio_net nfsd"));
  EXPECT_EQ(runner.inputs, std::vector<std::string>{"link set lo up\naddr add 192.168.127.2/24 dev eth0\n"
                                                    "link set eth0 up\nroute add default via 192.168.127.1\n"});
}

// A guest made ready before its disk (a restore's template) repeats none of it at the mount.
TEST(AgentWithFakeRunner, APreparedGuestStartsNoNfsServerAgain) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.prepare({"virtio_scsi", "sd_mod"}), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "modprobe -a nfsd virtio_scsi sd_mod"));
  EXPECT_NE(call_index(runner.calls, "rpc.nfsd -N 4"), runner.calls.size());
  EXPECT_EQ(call_index(runner.calls, "exportfs"), runner.calls.size()) << "nothing is exported before the mount";
  runner.calls.clear();
  protocol::MountRequest r = request();
  r.keys = {{"/dev/vda", "pw"}};
  ASSERT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(contains(runner.calls, "modprobe -a dm_mod dm_crypt"));
  EXPECT_EQ(call_index(runner.calls, "rpc.nfsd"), runner.calls.size());
  EXPECT_EQ(call_index(runner.calls, "daemon"), runner.calls.size());
  EXPECT_NE(call_index(runner.calls, "exportfs -i"), runner.calls.size());
  EXPECT_TRUE(agent.shutdown());
}

// A saved guest is told its mounts' client: the mount point is exported with a default
// mount's options before any disk; a default mount runs no exportfs.
TEST(AgentWithFakeRunner, ASavedGuestExportsEarlyAndADefaultMountKeepsThatExport) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.prepare({"virtio_scsi", "sd_mod"}, "10.0.2.2"), std::nullopt);
  EXPECT_TRUE(contains(runner.calls,
                       "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1 10.0.2.2:/mnt/disk"));
  EXPECT_LT(call_index(runner.calls, "rpc.nfsd"), call_index(runner.calls, "exportfs"));
  runner.calls.clear();
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  EXPECT_EQ(call_index(runner.calls, "exportfs"), runner.calls.size()) << "exported again";
}

// A mount whose export differs replaces it (exportfs would keep the first options).
TEST(AgentWithFakeRunner, AMountWithAnotherExportChangesTheEarlyOne) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.prepare({}, "10.0.2.2"), std::nullopt);
  runner.calls.clear();
  ASSERT_EQ(agent.mount(request(true)), std::nullopt);
  EXPECT_LT(call_index(runner.calls, "exportfs -u 10.0.2.2:/mnt/disk"),
            call_index(runner.calls,
                       "exportfs -i -o ro,sync,no_root_squash,insecure,no_subtree_check,fsid=1 10.0.2.2:/mnt/disk"));

  FakeRunner other;
  Agent agent2(other);
  ASSERT_EQ(agent2.prepare({}, "10.0.2.2"), std::nullopt);
  other.calls.clear();
  protocol::MountRequest r = request();
  r.action.override_nfs_export = "/mnt/disk/repo";
  ASSERT_EQ(agent2.mount(r), std::nullopt);
  EXPECT_LT(call_index(other.calls, "exportfs -u 10.0.2.2:/mnt/disk"),
            call_index(other.calls,
                       "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1 "
                       "10.0.2.2:/mnt/disk/repo"));
}

TEST(AgentWithFakeRunner, ShutdownStopsNfsBeforeUnmountingAndSyncs) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  runner.calls.clear();
  long before = ::time(nullptr);
  EXPECT_TRUE(agent.shutdown());
  // Each cache's flush gets the time, as exportfs writes it.
  std::vector<std::string> calls;
  for (const std::string& call : runner.calls) {
    auto flush = call.find("/flush ");
    bool timed = flush != std::string::npos && std::stol(call.substr(flush + 7)) >= before;
    calls.push_back(timed ? call.substr(0, flush + 7) + "NOW" : call);
  }
  std::vector<std::string> expected = {"write /proc/fs/nfsd/threads 0",
                                       "write /proc/net/rpc/nfsd.export/flush NOW",
                                       "write /proc/net/rpc/nfsd.fh/flush NOW",
                                       "write /proc/net/rpc/auth.unix.ip/flush NOW",
                                       "write /proc/net/rpc/auth.unix.gid/flush NOW",
                                       "stop daemons",
                                       "umount /proc/fs/nfsd",
                                       "umount /run/rpc_pipefs",
                                       "mount -o remount,ro /mnt/disk",
                                       "sync"};
  EXPECT_EQ(calls, expected) << "ext4 straight on the disk: remounted read-only, its page cache kept";
}

TEST(AgentWithFakeRunner, ShutdownRetriesABusyRemount) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  runner.fail("mount -o remount,ro /mnt/disk", "mount: /mnt/disk: mount point is busy.", 2);
  EXPECT_TRUE(agent.shutdown());
  EXPECT_EQ(std::count(runner.calls.begin(), runner.calls.end(), "mount -o remount,ro /mnt/disk"), 3);
}

TEST(AgentWithFakeRunner, ShutdownReportsARemountThatNeverSucceeds) {
  FakeRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(request()), std::nullopt);
  runner.fail("mount -o remount,ro /mnt/disk", "mount: /mnt/disk: mount point is busy.");
  EXPECT_FALSE(agent.shutdown());
}

TEST(AgentWithFakeRunner, AFuseFilesystemIsUnmountedForItsDaemonToFinish) {
  FakeRunner runner;
  Agent agent(runner);
  protocol::MountRequest r = request();
  r.fstype = "exfat";
  ASSERT_EQ(agent.mount(r), std::nullopt);
  runner.fail("umount /mnt/disk", "umount: /mnt/disk: target is busy.", 1);
  EXPECT_TRUE(agent.shutdown());
  EXPECT_EQ(std::count(runner.calls.begin(), runner.calls.end(), "umount /mnt/disk"), 2);
  EXPECT_FALSE(contains(runner.calls, "mount -o remount,ro /mnt/disk"));
}

}  // namespace
}  // namespace alfs::guest
