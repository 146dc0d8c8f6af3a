// ZFS pools through the agent, against a fake Runner (no processes are spawned).
#include "guest/zfs.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "guest/agent.h"
#include "guest/fake_runner.h"

namespace alfs::guest {
namespace {

// A pool "tank" on /dev/vda: its top dataset and tank/data, both mounted below the altroot.
struct PoolRunner : FakeRunner {
  PoolRunner() {
    outputs["blkid -o value -s TYPE"] = "zfs_member\n";
    outputs["blkid -o value -s LABEL"] = "tank\n";
    outputs["zfs list -H -o name,encryptionroot,keystatus"] = "tank\t-\tnone\ntank/data\t-\tnone\n";
    outputs["zfs list -H -o name,mounted,mountpoint"] =
        "tank\tyes\t/run/alfs-zfs/tank\ntank/data\tyes\t/run/alfs-zfs/tank/data\n";
  }
  bool called(const std::string& line) const { return std::find(calls.begin(), calls.end(), line) != calls.end(); }
  size_t index(const std::string& prefix) const {
    for (size_t i = 0; i < calls.size(); ++i)
      if (calls[i].rfind(prefix, 0) == 0) return i;
    return calls.size();
  }
};

protocol::MountRequest pool_request(bool ro = false) {
  protocol::MountRequest r;
  r.devices = {"/dev/vda", "/dev/vdb"};
  r.read_only = ro;
  r.export_client = "10.0.2.2";
  return r;
}

TEST(ZfsWithFakeRunner, ImportsMountsAndExportsEveryDataset) {
  PoolRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(pool_request()), std::nullopt);
  EXPECT_TRUE(runner.called("zpool import -f -N -R /run/alfs-zfs -d /dev/vda -d /dev/vdb tank"));
  EXPECT_TRUE(runner.called("zfs mount -a"));
  EXPECT_EQ(agent.export_path(), "/run/alfs-zfs/tank");
  EXPECT_TRUE(runner.called(
      "exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=1 10.0.2.2:/run/alfs-zfs/tank"));
  EXPECT_TRUE(
      runner.called("exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=2,nohide "
                    "10.0.2.2:/run/alfs-zfs/tank/data"));
  EXPECT_EQ(agent.mounted_volume().fstype, "zfs");
  EXPECT_EQ(agent.mounted_volume().label, "tank");
  EXPECT_FALSE(runner.called("mount -t zfs_member"));

  runner.calls.clear();
  EXPECT_TRUE(agent.shutdown());
  EXPECT_LT(runner.index("write /proc/fs/nfsd/threads 0"), runner.index("zpool export tank"));
  EXPECT_LT(runner.index("zpool export tank"), runner.index("sync"));
}

// ZFS's import runs `exportfs -ra`, which would drop a saved guest's early export unseen.
TEST(ZfsWithFakeRunner, ASavedGuestsEarlyExportGoesBeforeTheImport) {
  PoolRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.prepare({}, "10.0.2.2"), std::nullopt);
  runner.calls.clear();
  ASSERT_EQ(agent.mount(pool_request()), std::nullopt);
  EXPECT_LT(runner.index("exportfs -u 10.0.2.2:/mnt/disk"), runner.index("zpool import"));
  EXPECT_EQ(std::count_if(runner.calls.begin(), runner.calls.end(),
                          [](const std::string& c) { return c.rfind("exportfs -u", 0) == 0; }),
            1);
}

TEST(ZfsWithFakeRunner, ReadOnlyImportsReadOnly) {
  PoolRunner runner;
  Agent agent(runner);
  ASSERT_EQ(agent.mount(pool_request(true)), std::nullopt);
  EXPECT_TRUE(runner.called("zpool import -f -N -R /run/alfs-zfs -o readonly=on -d /dev/vda -d /dev/vdb tank"));
  EXPECT_TRUE(agent.mounted_volume().read_only);
}

TEST(ZfsWithFakeRunner, AnImageWithoutZfsSaysHowToGetIt) {
  PoolRunner runner;
  runner.fail("test -x /sbin/zpool", "");
  Agent agent(runner);
  auto error = agent.mount(pool_request());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step, "zfs");
  EXPECT_NE(error->message.find("anylinuxfs init --with-zfs"), std::string::npos) << error->message;
}

TEST(ZfsWithFakeRunner, EncryptionRootsGetTheKeyOnStdin) {
  PoolRunner runner;
  runner.outputs["zfs list -H -o name,encryptionroot,keystatus"] =
      "tank\t-\tnone\ntank/secret\ttank/secret\tunavailable\ntank/secret/child\ttank/secret\tunavailable\n";
  Agent agent(runner);
  protocol::MountRequest r = pool_request();
  r.keys = {{"/dev/vda", "zfs pass"}};
  ASSERT_EQ(agent.mount(r), std::nullopt);
  EXPECT_TRUE(runner.called("zfs load-key -L prompt tank/secret"));
  EXPECT_FALSE(runner.called("zfs load-key -L prompt tank/secret/child"));
  EXPECT_EQ(runner.inputs.back(), "zfs pass");
  EXPECT_FALSE(runner.called("cryptsetup open /dev/vda alfs-crypt0 --key-file=-"));
  EXPECT_LT(runner.index("zfs load-key"), runner.index("zfs mount -a"));
}

TEST(ZfsWithFakeRunner, AnEncryptedDatasetWithoutAKeyIsRefusedAndThePoolExported) {
  PoolRunner runner;
  runner.outputs["zfs list -H -o name,encryptionroot,keystatus"] = "tank\ttank\tunavailable\n";
  Agent agent(runner);
  auto error = agent.mount(pool_request());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step, "unlock");
  EXPECT_EQ(error->message,
            "dataset tank is encrypted: give its passphrase with ALFS_PASSPHRASE or its key file with -k");
  EXPECT_TRUE(runner.called("zpool export tank"));
  EXPECT_FALSE(runner.called("zfs mount -a"));
}

TEST(ZfsWithFakeRunner, AWrongKeyCarriesZfsOwnWords) {
  PoolRunner runner;
  runner.outputs["zfs list -H -o name,encryptionroot,keystatus"] = "tank\ttank\tunavailable\n";
  runner.fail("zfs load-key", "Key load error: Incorrect key provided for 'tank'.\n");
  Agent agent(runner);
  protocol::MountRequest r = pool_request();
  r.keys = {{"/dev/vda", "wrong"}};
  auto error = agent.mount(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "tank: Key load error: Incorrect key provided for 'tank'.");
  EXPECT_TRUE(runner.called("zpool export tank"));
}

// A dataset mounted outside the top one's directory: the alternate root is the mount point.
TEST(ZfsWithFakeRunner, DatasetsOutsideTheTopOneExportTheAlternateRoot) {
  PoolRunner runner;
  runner.outputs["zfs list -H -o name,mounted,mountpoint"] =
      "tank\tyes\t/run/alfs-zfs/tank\ntank/home\tyes\t/run/alfs-zfs/home\n";
  Agent agent(runner);
  ASSERT_EQ(agent.mount(pool_request()), std::nullopt);
  EXPECT_EQ(agent.export_path(), "/run/alfs-zfs");
  EXPECT_TRUE(
      runner.called("exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=2,nohide "
                    "10.0.2.2:/run/alfs-zfs/tank"));
  EXPECT_TRUE(
      runner.called("exportfs -i -o rw,sync,no_root_squash,insecure,no_subtree_check,fsid=3,nohide "
                    "10.0.2.2:/run/alfs-zfs/home"));
}

}  // namespace
}  // namespace alfs::guest
