#include "instance/record.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
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
  r.supervisor_start = process_start_time(supervisor);
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
  // A misspelt state, or a key missing, is an error, not a default.
  std::string text = to_json_text(record("a", 100));
  std::string misspelt = text;
  misspelt.replace(misspelt.find("\"starting\""), 10, "\"redy\"");
  try {
    instance_from_json_text(misspelt);
    ADD_FAILURE() << "a misspelt state was taken";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "malformed instance record: unknown state 'redy'");
  }
  nlohmann::json missing = nlohmann::json::parse(text);
  missing.erase("vm_pid");
  EXPECT_THROW(instance_from_json_text(missing.dump()), Error);
}

TEST(InstanceRecord, StatusJsonIsTheDocumentedDocument) {
  InstanceRecord ready = record("a", 100);
  ready.state = InstanceState::kReady;
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
  starting.state = InstanceState::kStarting;
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
  InstanceRegistry registry(dir.string(), ::getuid());
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
  InstanceRegistry registry(dir.string(), ::getuid());
  InstanceRecord reused = record("reused", ::getpid());
  reused.supervisor_start = start + 1;
  registry.save(reused);
  std::vector<InstanceRecord> stale;
  EXPECT_TRUE(registry.list(&stale).empty());
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0].id, "reused");
}

// A record is its user's data: only what checks out against the system is acted on.
TEST_F(InstanceRegistryTest, TheSupervisorIsThisProgramRunByTheOwner) {
  uint64_t start = process_start_time(::getpid());
  EXPECT_TRUE(is_instance_supervisor(::getpid(), start, ::getuid()));
  EXPECT_FALSE(is_instance_supervisor(::getpid(), 0, ::getuid())) << "a record without a start time names nothing";
  EXPECT_FALSE(is_instance_supervisor(::getpid(), start + 1, ::getuid()));
  EXPECT_FALSE(is_instance_supervisor(::getpid(), start, 54321))
      << "another user's process (sudo did not start it for them)";
  Process other = spawn(SpawnOptions{.argv = {"sleep", "30"}});
  uint64_t other_start = process_start_time(other.pid());
  EXPECT_FALSE(is_instance_supervisor(other.pid(), other_start, ::getuid())) << "another program";
  EXPECT_TRUE(is_instance_vm(other.pid(), other_start, ::getpid())) << "a child of the supervisor";
  EXPECT_FALSE(is_instance_vm(other.pid(), other_start, ::getppid())) << "not the supervisor's child";
  EXPECT_FALSE(is_instance_vm(other.pid(), 0, ::getpid()));
  EXPECT_FALSE(is_instance_vm(::getppid(), process_start_time(::getppid()), ::getpid()));
}

TEST_F(InstanceRegistryTest, AnIdThatIsNotItsDirectorysNameIsNotOurs) {
  EXPECT_TRUE(is_instance_id("1234"));
  EXPECT_TRUE(is_instance_id("shell-1234"));
  for (const char* bad : {"", "..", "../victim", "a/b", ".hidden", "x y"}) EXPECT_FALSE(is_instance_id(bad)) << bad;
  InstanceRegistry registry(dir.string(), ::getuid());
  EXPECT_THROW(registry.save(record("../victim", ::getpid())), Error);
  fs::create_directories(dir / "7");
  fs::create_directories(fs::path(tmp.path()) / "victim");
  write_file_atomic((dir / "7" / "instance.json").string(), to_json_text(record("../victim", ::getpid())));
  std::vector<InstanceRecord> stale;
  EXPECT_TRUE(registry.list(&stale).empty());
  EXPECT_TRUE(stale.empty());
  registry.remove("../victim");
  EXPECT_TRUE(fs::exists(fs::path(tmp.path()) / "victim"));
}

TEST_F(InstanceRegistryTest, FindsByMountPointOrDisk) {
  InstanceRegistry registry(dir.string(), ::getuid());
  registry.save(record("live", ::getpid()));
  EXPECT_TRUE(registry.find("/mnt/demo").has_value());
  EXPECT_TRUE(registry.find("disk.img").has_value());
  EXPECT_TRUE(registry.find("/data/disk.img").has_value());
  EXPECT_FALSE(registry.find("/mnt/other").has_value());
}

TEST_F(InstanceRegistryTest, ChoosesTheOnlyInstanceOrAsksWhichOne) {
  InstanceRegistry registry(dir.string(), ::getuid());
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

TEST(RunningRuns, EveryInstanceDirectoryButThoseOfDeadSupervisors) {
  TempDir tmp("alfs-runs");
  Paths paths;
  paths.instances_dir = tmp.file("instances");
  paths.owner_uid = ::getuid();
  InstanceRegistry registry(paths.instances_dir, paths.owner_uid);
  registry.save({.id = "11", .supervisor_pid = ::getpid(), .supervisor_start = process_start_time(::getpid())});
  registry.save({.id = "12", .supervisor_pid = 0});
  make_dirs(registry.dir_of("10"));  // a `shell` VM's scratch directory: no record
  EXPECT_EQ(running_runs(paths), (std::set<std::string>{"10", "11"}));
}

}  // namespace
}  // namespace alfs
