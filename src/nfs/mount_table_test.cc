#include "nfs/mount_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace alfs::nfs {
namespace {

using namespace std::chrono_literals;

// A mount table that loses `mount_point` at its `unmount_at`-th read (a Finder eject).
class FakeMountTable : public MountTable {
 public:
  FakeMountTable(std::string mount_point, int unmount_at)
      : mount_point_(std::move(mount_point)), unmount_at_(unmount_at) {}

  std::vector<std::string> mount_points() const override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> points = {"/", "/System/Volumes/Data", mount_point_ + "-1", "/Volumes"};
    if (++reads_ < unmount_at_) points.push_back(mount_point_);
    return points;
  }

  int reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
  }

 private:
  std::string mount_point_;
  int unmount_at_;
  mutable std::mutex mutex_;
  mutable int reads_ = 0;
};

constexpr int kNever = 1 << 30;

TEST(WaitUntilUnmounted, AnEjectEndsTheWait) {
  FakeMountTable table("/Volumes/data", 4);
  std::atomic<bool> stop = false;
  EXPECT_TRUE(wait_until_unmounted(table, "/Volumes/data", 1ms, stop));
  EXPECT_EQ(table.reads(), 4);
}

TEST(WaitUntilUnmounted, AMountPointAlreadyGoneEndsAtOnce) {
  FakeMountTable table("/Volumes/data", 1);
  std::atomic<bool> stop = false;
  EXPECT_TRUE(wait_until_unmounted(table, "/Volumes/data", 10s, stop));
  EXPECT_EQ(table.reads(), 1);
}

TEST(WaitUntilUnmounted, ANeighbourWithASimilarNameDoesNotCount) {
  // "/Volumes/data-1" stays mounted throughout; only the exact path matters.
  FakeMountTable table("/Volumes/data", 2);
  std::atomic<bool> stop = false;
  EXPECT_TRUE(wait_until_unmounted(table, "/Volumes/data", 1ms, stop));
  EXPECT_EQ(table.reads(), 2);
}

TEST(WaitUntilUnmounted, StopEndsALongIntervalEarly) {
  FakeMountTable table("/Volumes/data", kNever);
  std::atomic<bool> stop = false;
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  EXPECT_FALSE(wait_until_unmounted(table, "/Volumes/data", 60s, stop));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(table.reads(), 1);
}

TEST(WaitUntilUnmounted, AStopAlreadySetReadsNothing) {
  FakeMountTable table("/Volumes/data", kNever);
  std::atomic<bool> stop = true;
  EXPECT_FALSE(wait_until_unmounted(table, "/Volumes/data", 1ms, stop));
  EXPECT_EQ(table.reads(), 0);
}

TEST(SystemMountTable, ListsTheRoot) {
  auto points = system_mount_table()->mount_points();
  EXPECT_NE(std::find(points.begin(), points.end(), "/"), points.end());
}

}  // namespace
}  // namespace alfs::nfs
