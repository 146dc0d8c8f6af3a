#include "instance/disk_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

class DiskLockTest : public ::testing::Test {
 protected:
  void SetUp() override { write_file_atomic(path, "disk"); }
  TempDir tmp{"alfs-lock"};
  std::string path = tmp.file("disk.img");
};

TEST_F(DiskLockTest, ASecondWriterIsRefusedWithWhoHoldsIt) {
  UniqueFd first = lock_disk(path, false, "");
  try {
    lock_disk(path, false, "mounted at /mnt/a");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + " is in use by another anylinuxfs instance (mounted at /mnt/a); unmount it first");
  }
  EXPECT_THROW(lock_disk(path, true, ""), Error) << "no reader beside a writer";
}

TEST_F(DiskLockTest, ReadersShareAndBlockAWriter) {
  UniqueFd a = lock_disk(path, true, "");
  UniqueFd b = lock_disk(path, true, "");
  EXPECT_THROW(lock_disk(path, false, ""), Error);
}

TEST_F(DiskLockTest, ReleasedWithTheFd) {
  { UniqueFd first = lock_disk(path, false, ""); }
  EXPECT_NO_THROW(lock_disk(path, false, ""));
}

}  // namespace
}  // namespace alfs
