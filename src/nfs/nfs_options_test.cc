#include "nfs/nfs_options.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs::nfs {
namespace {

std::string error_of(std::string (*check)(std::string_view), std::string_view options) {
  try {
    check(options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(NfsOptions, ClientTuningPasses) {
  EXPECT_EQ(checked_client_options("rsize=1048576,wsize=1048576,hard,timeo=600,noac,actimeo=5"),
            "rsize=1048576,wsize=1048576,hard,timeo=600,noac,actimeo=5");
  EXPECT_EQ(checked_client_options("nonegnamecache,readahead=16"), "nonegnamecache,readahead=16");
}

TEST(NfsOptions, ClientOptionsThatWidenTrustAreRefused) {
  for (const char* bad : {"suid", "dev", "port=2049", "mountport=1", "vers=4", "addr=10.0.0.1", "sec=none", "rsize", "",
                          "hard,,soft", "exec"}) {
    EXPECT_NE(error_of(checked_client_options, bad), "") << bad;
  }
  EXPECT_EQ(error_of(checked_client_options, "hard,suid"),
            "NFS client option: 'suid' is not an option anylinuxfs passes on (it may change only caching, timing and "
            "transfer sizes, never who reaches the disk or what the host trusts; see the README)");
}

TEST(NfsOptions, ExportOptions) {
  EXPECT_EQ(checked_export_options("no_wdelay,subtree_check"), "no_wdelay,subtree_check");
  for (const char* bad : {"ro", "no_root_squash", "insecure", "anonuid=0", "all_squash", "async", "crossmnt", "rw",
                          "no_auth_nlm", "sec=none", "fsid=7"}) {
    EXPECT_NE(error_of(checked_export_options, bad), "") << bad;
  }
}

}  // namespace
}  // namespace alfs::nfs
