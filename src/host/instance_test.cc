#include "host/instance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

InstanceRecord record(const std::string& id, pid_t supervisor) {
  InstanceRecord r;
  r.id = id;
  r.disk = "disk.img";
  r.disk_path = "/data/disk.img";
  r.mount_point = "/mnt/demo";
  r.fstype = "ext4";
  r.supervisor_pid = supervisor;
  r.vm_pid = 4242;
  return r;
}

class InstanceRegistryTest : public ::testing::Test {
 protected:
  TempDir tmp{"alfs-instances"};
  fs::path dir = fs::path(tmp.path()) / "instances";
};

TEST(InstanceRecord, StatusLineIsTheSpecsFormat) {
  InstanceRecord r = record("a", 1);
  EXPECT_EQ(r.status_line(), "disk.img on /mnt/demo (ext4, rw, vm pid 4242)");
  r.read_only = true;
  EXPECT_EQ(r.status_line(), "disk.img on /mnt/demo (ext4, ro, vm pid 4242)");
}

TEST(InstanceRecord, JsonRoundTripAndGarbage) {
  InstanceRecord r = record("a", 7);
  r.nfs_port = 41000;
  r.supervisor_start = 123456789012ULL;
  InstanceRecord back = instance_from_json_text(to_json_text(r));
  EXPECT_EQ(back.status_line(), r.status_line());
  EXPECT_EQ(back.nfs_port, 41000);
  EXPECT_EQ(back.supervisor_start, 123456789012ULL);
  EXPECT_THROW(instance_from_json_text("{"), Error);
  EXPECT_THROW(instance_from_json_text("{}"), Error);
}

TEST(InstanceRecord, StatusJsonIsTheDocumentedDocument) {
  InstanceRecord ready = record("a", 100);
  ready.state = "ready";
  ready.nfs_port = 41000;
  ready.mountd_port = 41001;
  ready.created_mount_point = true;  // internal: not shown
  ready.log_file = "/root/.anylinuxfs/logs/100.log";
  ready.console_log = "/root/.anylinuxfs/logs/100.console.log";
  InstanceRecord starting = record("b", 200);
  starting.disk = "lvm:vg:a \"quoted\".img:lv";
  starting.mount_point = "/mnt/my disk";
  starting.fstype = "";
  starting.read_only = true;
  starting.state = "starting";
  starting.vm_pid = 0;
  EXPECT_EQ(status_json({ready, starting}), R"({
  "instances": [
    {
      "disk": "disk.img",
      "disk_path": "/data/disk.img",
      "mount_point": "/mnt/demo",
      "fstype": "ext4",
      "read_only": false,
      "state": "ready",
      "supervisor_pid": 100,
      "vm_pid": 4242,
      "nfs_port": 41000,
      "mountd_port": 41001,
      "log_file": "/root/.anylinuxfs/logs/100.log",
      "console_log": "/root/.anylinuxfs/logs/100.console.log"
    },
    {
      "disk": "lvm:vg:a \"quoted\".img:lv",
      "disk_path": "/data/disk.img",
      "mount_point": "/mnt/my disk",
      "fstype": "",
      "read_only": true,
      "state": "starting",
      "supervisor_pid": 200,
      "vm_pid": 0,
      "nfs_port": 0,
      "mountd_port": 0,
      "log_file": "",
      "console_log": ""
    }
  ]
}
)");
  EXPECT_EQ(status_json({}), "{\n  \"instances\": []\n}\n");
}

TEST_F(InstanceRegistryTest, ListsLiveInstancesAndSeparatesStaleOnes) {
  InstanceRegistry registry(dir.string());
  registry.save(record("live", ::getpid()));
  // A pid that cannot be alive: beyond pid_max.
  registry.save(record("dead", 0x7ffffff0));
  std::vector<InstanceRecord> stale;
  auto live = registry.list(&stale);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].id, "live");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0].id, "dead");
  registry.remove("dead");
  EXPECT_FALSE(fs::exists(dir / "dead"));
}

// pid_max may be 32768: a supervisor's pid soon names another process, which must not
// pass for it (nor be killed as its VM).
TEST_F(InstanceRegistryTest, APidReusedByAnotherProcessIsNotTheInstance) {
  uint64_t start = process_start_time(::getpid());
  ASSERT_GT(start, 0u);
  EXPECT_TRUE(process_alive(::getpid(), start));
  EXPECT_TRUE(process_alive(::getpid()));
  EXPECT_FALSE(process_alive(::getpid(), start + 1));
  EXPECT_EQ(process_start_time(0x7ffffff0), 0u);
  InstanceRegistry registry(dir.string());
  InstanceRecord reused = record("reused", ::getpid());
  reused.supervisor_start = start + 1;
  registry.save(reused);
  std::vector<InstanceRecord> stale;
  EXPECT_TRUE(registry.list(&stale).empty());
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0].id, "reused");
}

TEST_F(InstanceRegistryTest, FindsByMountPointOrDisk) {
  InstanceRegistry registry(dir.string());
  registry.save(record("live", ::getpid()));
  EXPECT_TRUE(registry.find("/mnt/demo").has_value());
  EXPECT_TRUE(registry.find("disk.img").has_value());
  EXPECT_TRUE(registry.find("/data/disk.img").has_value());
  EXPECT_FALSE(registry.find("/mnt/other").has_value());
}

TEST_F(InstanceRegistryTest, ChoosesTheOnlyInstanceOrAsksWhichOne) {
  InstanceRegistry registry(dir.string());
  EXPECT_THROW(
      {
        try {
          registry.choose("");
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "no anylinuxfs instance is running");
          throw;
        }
      },
      Error);
  registry.save(record("one", ::getpid()));
  EXPECT_EQ(registry.choose("").id, "one");
  InstanceRecord other = record("two", ::getpid());
  other.mount_point = "/mnt/other";
  other.disk = "other.img";
  registry.save(other);
  try {
    registry.choose("");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "2 instances are running; choose one with -t <mount point>:\n"
                 "  /mnt/demo (disk.img)\n  /mnt/other (other.img)");
  }
  EXPECT_EQ(registry.choose("/mnt/other").id, "two");
  EXPECT_THROW(registry.choose("/mnt/none"), Error);
}

}  // namespace
}  // namespace alfs
