#include "host/guest_image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

class GuestImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inputs = {(dir / "build.sh").string(), (dir / "packages.txt").string(), (dir / "agent").string()};
    write_file_atomic(inputs.build_script, "script");
    write_file_atomic(inputs.package_list, "kmod\n");
    write_file_atomic(inputs.agent_binary, "agent-v1");
  }
  TempDir tmp{"alfs-image-test"};
  fs::path dir = tmp.path();
  ImageInputs inputs;
};

TEST_F(GuestImageTest, KeyChangesWithEveryInput) {
  std::string k1 = image_key(inputs);
  EXPECT_EQ(k1.size(), 16u);
  EXPECT_EQ(image_key(inputs), k1) << "the key is a pure function of the contents";
  write_file_atomic(inputs.agent_binary, "agent-v2");
  std::string k2 = image_key(inputs);
  EXPECT_NE(k2, k1);
  write_file_atomic(inputs.package_list, "kmod\nlvm2\n");
  std::string k3 = image_key(inputs);
  EXPECT_NE(k3, k2);
  inputs.extra_packages = {"borgbackup"};
  std::string k4 = image_key(inputs);
  EXPECT_NE(k4, k3) << "a package the user added";
  inputs.ca_bundle = (dir / "ca.crt").string();
  write_file_atomic(inputs.ca_bundle, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_NE(image_key(inputs), k4) << "the user's CA bundle";
}

TEST_F(GuestImageTest, MissingInputIsANamedError) {
  fs::remove(inputs.package_list);
  try {
    image_key(inputs);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("packages.txt"), std::string::npos);
  }
}

TEST_F(GuestImageTest, AnIncompleteImageIsNotFound) {
  fs::create_directories(dir / "root" / "k");
  write_file_atomic((dir / "root/k/vmlinuz").string(), "k");
  write_file_atomic((dir / "root/k/initrd.img").string(), "i");
  EXPECT_FALSE(find_image((dir / "root").string(), "k").has_value());
  write_file_atomic((dir / "root/k/rootfs.img").string(), "r");
  auto image = find_image((dir / "root").string(), "k");
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->rootfs, (dir / "root/k/rootfs.img").string());
}

}  // namespace
}  // namespace alfs
