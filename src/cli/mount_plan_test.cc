#include "cli/mount_plan.h"

#include <gtest/gtest.h>

#include <map>

#include "common/error.h"
#include "vm/fake_script_backend.h"
#include "vm/qemu.h"

namespace alfs::cli {
namespace {

// A host with one user (uid 1000) and nothing mounted; a test changes what it is about.
MountHost test_host() {
  MountHost host;
  host.paths.owner_uid = 1000;
  host.paths.owner_gid = 1000;
  host.paths.home = "/home/ann";
  host.paths.instances_dir = "/home/ann/.anylinuxfs/instances";
  host.mount_point_taken = [](const std::string&) { return false; };
  host.is_directory = [](const std::string& path) { return path == "/srv/dir"; };
  host.environment = [](const std::string&) { return std::nullopt; };
  return host;
}

Volume ext4_volume(const std::string& fstype = "ext4") {
  Volume v;
  v.disks = {{"/img/disk.img", "raw"}};
  v.guest_devices = {"/dev/vda"};
  v.drive_names = {"disk.img"};
  v.probes = {ProbeResult{.fstype = fstype, .label = "data"}};
  v.fstype = fstype == "ext4" ? "ext4" : "";
  v.name = "data";
  return v;
}

struct Planner {
  Config config;
  MountHost host = test_host();
  Volume volume = ext4_volume();
  int probes = 0;

  MountPlan plan(MountArgs args, const vm::VmBackend& backend = vm::QemuBackend()) {
    return plan_mount(std::move(args), config, backend, host, [this](const MountArgs&) {
      ++probes;
      return volume;
    });
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MountPlan, ADiskMountsReadWriteAtTheUsersDefaultMountPoint) {
  Planner p;
  p.config.ram_size_mib = 768;
  p.config.num_vcpus = 2;
  MountPlan plan = p.plan({.disk = "disk.img"});
  const SupervisorPlan& s = plan.supervisor;
  EXPECT_TRUE(plan.warnings.empty());
  EXPECT_FALSE(plan.diskless);
  EXPECT_TRUE(plan.default_mount_point);
  EXPECT_EQ(s.record.mount_point, "/home/ann/mnt/data");
  EXPECT_EQ(s.record.disk, "disk.img");
  EXPECT_EQ(s.record.disk_path, "/img/disk.img");
  EXPECT_EQ(s.record.fstype, "ext4");
  EXPECT_FALSE(s.record.read_only);
  ASSERT_EQ(s.vm.disks.size(), 1u);
  EXPECT_EQ(s.vm.disks[0].path, "/img/disk.img");
  EXPECT_FALSE(s.vm.disks[0].read_only);
  EXPECT_EQ(s.vm.ram_mib, 768);
  EXPECT_EQ(s.vm.vcpus, 2);
  EXPECT_EQ(s.log_level, LogLevel::kInfo);
  EXPECT_EQ(s.request.devices, std::vector<std::string>{"/dev/vda"});
  EXPECT_EQ(s.request.fstype, "ext4");
  EXPECT_FALSE(s.request.read_only);
  EXPECT_EQ(s.request.export_client, relay_network().gateway);
  EXPECT_TRUE(s.request.shared_client.empty());
  EXPECT_FALSE(s.vm.access.shared);
  EXPECT_EQ(s.vm.access.owner, 1000u);
  EXPECT_FALSE(s.allow_other);
  EXPECT_FALSE(s.drop_privileges);
  EXPECT_FALSE(s.vm.user);
  EXPECT_TRUE(plan.encrypted.empty());
  EXPECT_FALSE(plan.zfs_secret);
  EXPECT_EQ(p.probes, 1);
}

TEST(MountPlan, ReadOnlyReachesTheRecordTheDisksAndTheGuest) {
  Planner p;
  MountPlan plan = p.plan({.disk = "disk.img", .mount_point = "/tmp/../mnt/x/", .options = "ro,noatime"});
  EXPECT_TRUE(plan.supervisor.record.read_only);
  EXPECT_TRUE(plan.supervisor.vm.disks[0].read_only);
  EXPECT_TRUE(plan.supervisor.request.read_only);
  EXPECT_FALSE(plan.default_mount_point);
  EXPECT_EQ(plan.supervisor.record.mount_point, "/mnt/x/");
}

TEST(MountPlan, VerboseLogsAtTheDebugLevel) {
  Planner p;
  EXPECT_EQ(p.plan({.disk = "disk.img", .verbose = true}).supervisor.log_level, LogLevel::kDebug);
  EXPECT_EQ(p.plan({.disk = "disk.img", .verbose = true}).supervisor.vm.log_level, LogLevel::kDebug);
}

TEST(MountPlan, LuksRaisesTheRamWithAWarningAndAsksForItsSecret) {
  Planner p;
  p.volume = ext4_volume("crypto_LUKS");
  MountPlan plan = p.plan({.disk = "disk.img"});
  EXPECT_EQ(plan.supervisor.vm.ram_mib, 2560);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0], "raising the VM's RAM from 512 to 2560 MiB: unlocking LUKS needs it");
  EXPECT_EQ(plan.encrypted, std::vector<size_t>{0});
  EXPECT_FALSE(plan.zfs_secret);
  p.config.ram_size_mib = 4096;
  EXPECT_EQ(p.plan({.disk = "disk.img"}).supervisor.vm.ram_mib, 4096);
}

TEST(MountPlan, AZfsPoolTakesASecretOnlyIfGiven) {
  Planner p;
  p.volume = ext4_volume("zfs_member");
  MountPlan plan = p.plan({.disk = "disk.img"});
  EXPECT_TRUE(plan.zfs_secret);
  EXPECT_TRUE(plan.encrypted.empty());
}

TEST(MountPlan, AZfsPoolBootsTheZfsImageWhateverTheConfigSays) {
  Planner p;
  p.volume = ext4_volume("zfs_member");
  EXPECT_TRUE(p.plan({.disk = "disk.img"}).zfs_image);
  p.volume = ext4_volume("ext4");
  EXPECT_FALSE(p.plan({.disk = "disk.img"}).zfs_image);
}

TEST(MountPlan, NoDiskIsAnErrorUnlessAnActionExportsAPathOfItsOwn) {
  Planner p;
  EXPECT_EQ(error_of([&] { p.plan({}); }), "no disk given (see `anylinuxfs list`)");
  p.config.custom_actions["mounts"] = CustomAction{.after_mount = "true"};
  EXPECT_EQ(error_of([&] { p.plan({.action = "mounts"}); }),
            "custom action 'mounts' has no override_nfs_export: it needs a disk to mount");
  p.config.custom_actions["tmp"] = CustomAction{.override_nfs_export = "/tmp"};
  // A directory as the only argument is the mount point.
  MountPlan plan = p.plan({.disk = "/srv/dir", .action = "tmp"});
  EXPECT_TRUE(plan.diskless);
  EXPECT_EQ(plan.supervisor.record.disk, "action:tmp");
  EXPECT_EQ(plan.supervisor.record.mount_point, "/srv/dir");
  EXPECT_TRUE(plan.supervisor.record.disk_path.empty());
  EXPECT_TRUE(plan.supervisor.vm.disks.empty());
  EXPECT_EQ(plan.supervisor.request.action.override_nfs_export, "/tmp");
  EXPECT_EQ(p.probes, 0);  // nothing to probe
}

TEST(MountPlan, NfsClientOptionsOnlyWhereAnNfsClientPresents) {
  Planner p;
  p.host.presentation = PresentationKind::kFuse;
  EXPECT_EQ(error_of([&] { p.plan({.disk = "disk.img", .nfs_options = "hard"}); }),
            "-n: NFS client options apply where the host's own NFS client mounts (macOS; root on a Linux kernel with "
            "NFS), and this mount is presented through FUSE");
  p.host.presentation = PresentationKind::kKernelNfs;
  p.host.is_root = true;
  EXPECT_EQ(p.plan({.disk = "disk.img", .nfs_options = "hard,timeo=600"}).supervisor.nfs_client_options,
            "hard,timeo=600");
  EXPECT_NE(error_of([&] { p.plan({.disk = "disk.img", .nfs_options = "suid"}); }).find("'suid' is not an option"),
            std::string::npos);
}

TEST(MountPlan, NfsExportOptionsAreChecked) {
  Planner p;
  EXPECT_EQ(p.plan({.disk = "disk.img", .nfs_export_options = "no_wdelay"}).supervisor.request.export_options,
            "no_wdelay");
  EXPECT_NE(error_of([&] {
              p.plan({.disk = "disk.img", .nfs_export_options = "no_wdelay,insecure"});
            }).find("NFS export option: 'insecure' is not an option"),
            std::string::npos);
}

TEST(MountPlan, AnActionGoesWithItsSubdirsAndOnlyToItsOs) {
  Planner p;
  p.config.custom_actions["nested"] = CustomAction{.nfs_export_subdirs = {"a", "b/c"}, .required_os = "linux"};
  MountPlan plan = p.plan({.disk = "disk.img", .action = "nested"});
  EXPECT_EQ(plan.supervisor.request.action.nfs_export_subdirs, (std::vector<std::string>{"a", "b/c"}));
  p.config.custom_actions["bsd"] = CustomAction{.required_os = "freebsd"};
  EXPECT_EQ(error_of([&] { p.plan({.disk = "disk.img", .action = "bsd"}); }),
            "custom action 'bsd' is for a freebsd guest (required_os); anylinuxfs boots a Linux guest");
}

TEST(MountPlan, AnUnknownActionNamesTheDefinedOnes) {
  Planner p;
  EXPECT_EQ(error_of([&] { p.plan({.disk = "disk.img", .action = "nope"}); }),
            "unknown custom action 'nope' (none is defined; see `anylinuxfs actions`)");
  p.config.custom_actions["a"] = {};
  p.config.custom_actions["b"] = {};
  EXPECT_EQ(error_of([&] { p.plan({.disk = "disk.img", .action = "nope"}); }),
            "unknown custom action 'nope' (defined: a, b; see `anylinuxfs actions`)");
  EXPECT_EQ(p.probes, 0);  // refused before the disk is probed
}

TEST(MountPlan, AnActionCapturesTheHostVariablesItNames) {
  Planner p;
  p.config.custom_actions["env"] = CustomAction{.environment = {"A=1"}, .capture_environment = {"TOKEN", "UNSET"}};
  p.host.environment = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TOKEN") return "s3cret";
    return std::nullopt;
  };
  MountPlan plan = p.plan({.disk = "disk.img", .action = "env"});
  EXPECT_EQ(plan.supervisor.request.action.environment, (std::vector<std::string>{"A=1", "TOKEN=s3cret"}));
  // Both leave our environment, set or not.
  EXPECT_EQ(plan.captured_variables, (std::vector<std::string>{"TOKEN", "UNSET"}));
}

TEST(MountPlan, AllowNeedsAShareAndAShareWithoutAllowWarns) {
  Planner p;
  EXPECT_EQ(error_of([&] { p.plan({.disk = "disk.img", .allow = {"10.0.0.0/8"}}); }),
            "--allow needs -b with an address off loopback: without it the mount is not shared");
  MountPlan open = p.plan({.disk = "disk.img", .bind_address = "0.0.0.0"});
  EXPECT_TRUE(open.supervisor.vm.access.shared);
  EXPECT_TRUE(open.supervisor.vm.access.allow.empty());
  EXPECT_EQ(open.supervisor.bind_address, "0.0.0.0");
  EXPECT_EQ(open.supervisor.request.shared_client, vm::QemuBackend().network_clients());
  ASSERT_EQ(open.warnings.size(), 1u);
  EXPECT_NE(open.warnings[0].find("shares the disk with every host"), std::string::npos);
  // [share] allow applies unless --allow replaces it.
  p.config.share_allow = {"192.168.1.0/24"};
  MountPlan limited = p.plan({.disk = "disk.img", .bind_address = "0.0.0.0"});
  ASSERT_EQ(limited.supervisor.vm.access.allow.size(), 1u);
  EXPECT_TRUE(limited.warnings.empty());
  MountPlan replaced = p.plan({.disk = "disk.img", .bind_address = "0.0.0.0", .allow = {"10.0.0.1", "10.1.0.0/16"}});
  EXPECT_EQ(replaced.supervisor.vm.access.allow.size(), 2u);
}

TEST(MountPlan, ABackendThatCannotKeepOthersOutWarns) {
  Planner p;
  vm::FakeScriptBackend fake("");
  MountPlan plan = p.plan({.disk = "disk.img"}, fake);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0],
            "with fake, every local user can reach the NFS ports (and --allow is not enforced); see the README's "
            "Security model");
}

TEST(MountPlan, RootMountsWithAllowOther) {
  Planner p;
  p.host.is_root = true;
  MountPlan plan = p.plan({.disk = "disk.img"});
  EXPECT_TRUE(plan.supervisor.allow_other);
  EXPECT_EQ(plan.supervisor.record.mount_point, "/mnt/data");
  EXPECT_FALSE(plan.make_mount_point_for_user);
}

TEST(MountPlan, UnderSudoTheInstanceRunsAsTheUserWhenTheyMayOpenFuse) {
  Planner p;
  p.host.is_root = true;
  p.host.user = UserIdentity{.uid = 1000, .gid = 1000};
  p.host.user_may_open_fuse = true;
  MountPlan plan = p.plan({.disk = "disk.img"});
  EXPECT_TRUE(plan.supervisor.drop_privileges);
  EXPECT_EQ(plan.supervisor.user_uid, 1000u);
  EXPECT_FALSE(plan.supervisor.vm.user);  // the supervisor, and so QEMU, is the user already
  EXPECT_FALSE(plan.supervisor.allow_other);
  EXPECT_TRUE(plan.make_mount_point_for_user);
  EXPECT_FALSE(plan.prepare_users_mount_point);
  MountPlan given = p.plan({.disk = "disk.img", .mount_point = "/home/ann/m"});
  EXPECT_FALSE(given.make_mount_point_for_user);
  EXPECT_TRUE(given.prepare_users_mount_point);
}

TEST(MountPlan, UnderSudoRootPresentsWhatTheUserCannot) {
  Planner p;
  p.host.is_root = true;
  p.host.user = UserIdentity{.uid = 1000, .gid = 1000};
  for (bool kernel_nfs : {false, true}) {
    p.host.user_may_open_fuse = kernel_nfs;  // kernel NFS: root mounts even if the user could use FUSE
    p.host.presentation = kernel_nfs ? PresentationKind::kKernelNfs : PresentationKind::kFuse;
    MountPlan plan = p.plan({.disk = "disk.img"});
    EXPECT_FALSE(plan.supervisor.drop_privileges);
    ASSERT_TRUE(plan.supervisor.vm.user);  // QEMU still runs as the user
    EXPECT_EQ(plan.supervisor.vm.user->uid, 1000u);
    EXPECT_TRUE(plan.supervisor.allow_other);
  }
}

TEST(MountPlan, IgnorePermissionsSquashesToRootAndUserOptionsPassToTheGuest) {
  Planner p;
  MountPlan plan = p.plan({.disk = "disk.img", .options = "noatime", .ignore_permissions = true});
  EXPECT_TRUE(plan.supervisor.request.squash_to_root);
  EXPECT_NE(plan.supervisor.request.options.find("noatime"), std::string::npos);
}

}  // namespace
}  // namespace alfs::cli
