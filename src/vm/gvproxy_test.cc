// gvproxy's command line, its HTTP API requests (against a server in the test that records
// them), and its lifetime (against fake_gvproxy.py, which takes the real one's flags).
#include "vm/gvproxy.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs::vm {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

void make_executable(const std::string& path, const std::string& text) {
  write_file_atomic(path, text);
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
}

// An HTTP server on a unix socket for one request: records it whole, answers `response`
// (or, when empty, nothing until the client gives up).
class OneRequestServer {
 public:
  OneRequestServer(const std::string& path, std::string response) : response_(std::move(response)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_.get(), 1), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneRequestServer() {
    if (thread_.joinable()) thread_.join();
  }
  // The request as received, once the exchange is over.
  std::string finish() {
    thread_.join();
    return request_;
  }

 private:
  void serve() {
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[4096];
    ssize_t n;
    while (request_.find("\r\n\r\n") == std::string::npos || !request_.ends_with("}")) {
      if ((n = ::read(conn.get(), buf, sizeof buf)) <= 0) return;
      request_.append(buf, static_cast<size_t>(n));
    }
    if (response_.empty()) {
      while (::read(conn.get(), buf, sizeof buf) > 0) {
      }  // until the client hangs up
      return;
    }
    EXPECT_EQ(::write(conn.get(), response_.data(), response_.size()), static_cast<ssize_t>(response_.size()));
  }
  std::string request_, response_;
  UniqueFd listener_;
  std::thread thread_;
};

TEST(Gvproxy, CommandLine) {
  GvproxySockets sockets = gvproxy_sockets_in("/run/i");
  EXPECT_EQ(sockets.network, "/run/i/gvproxy.sock");
  EXPECT_EQ(sockets.api, "/run/i/gvproxy-api.sock");
  EXPECT_EQ(gvproxy_command_line("/opt/homebrew/bin/gvproxy", sockets),
            (std::vector<std::string>{"/opt/homebrew/bin/gvproxy", "-listen-vfkit", "unixgram:///run/i/gvproxy.sock",
                                      "-listen", "unix:///run/i/gvproxy-api.sock", "-ssh-port", "-1"}));
}

TEST(Gvproxy, ExposeBodyPointsAtTheGuest) {
  EXPECT_EQ(expose_request_body({"127.0.0.1", 40001, 2049}, gvproxy_network()),
            R"({"local":"127.0.0.1:40001","protocol":"tcp","remote":"192.168.127.2:2049"})");
  EXPECT_EQ(expose_request_body({"0.0.0.0", 40002, 20048}, gvproxy_network()),
            R"({"local":"0.0.0.0:40002","protocol":"tcp","remote":"192.168.127.2:20048"})");
}

TEST(Gvproxy, FoundByOverrideThenPathThenThePackagePrefixes) {
  TempDir dir("alfs-gvproxy");
  std::string in_path = dir.file("bin"), prefix = dir.file("homebrew");
  std::filesystem::create_directories(in_path);
  std::filesystem::create_directories(prefix);
  make_executable(prefix + "/gvproxy", "#!/bin/sh\n");
  EXPECT_EQ(find_gvproxy(nullptr, in_path + ":/nonexistent", {prefix}), prefix + "/gvproxy");
  make_executable(in_path + "/gvproxy", "#!/bin/sh\n");
  EXPECT_EQ(find_gvproxy(nullptr, "/nonexistent:" + in_path, {prefix}), in_path + "/gvproxy");
  EXPECT_EQ(find_gvproxy((prefix + "/gvproxy").c_str(), in_path, {}), prefix + "/gvproxy");
  try {
    find_gvproxy(dir.file("missing").c_str(), in_path, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ALFS_GVPROXY names " + dir.file("missing") + ", which is not an executable file"));
  }
  try {
    find_gvproxy(nullptr, "/nonexistent", {"/opt/a", "/opt/b"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("gvproxy not found (searched $PATH, /opt/a, /opt/b)"));
    EXPECT_THAT(e.what(), HasSubstr("--backend qemu"));
  }
}

TEST(Gvproxy, HttpPostSendsOneCompleteRequest) {
  TempDir dir("alfs-gvproxy");
  OneRequestServer server(dir.file("api.sock"),
                          "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 15\r\n\r\nproxy is there\n");
  std::string body;
  EXPECT_EQ(http_post_unix(dir.file("api.sock"), "/services/forwarder/expose", R"({"a":1})", body, 2s), 500);
  EXPECT_EQ(body, "proxy is there\n");
  EXPECT_EQ(server.finish(),
            "POST /services/forwarder/expose HTTP/1.1\r\nHost: gvproxy\r\nContent-Type: application/json\r\n"
            "Content-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}");
}

TEST(Gvproxy, HttpPostGivesUpAtTheDeadline) {
  TempDir dir("alfs-gvproxy");
  OneRequestServer silent(dir.file("api.sock"), "");
  std::string body;
  auto start = std::chrono::steady_clock::now();
  try {
    http_post_unix(dir.file("api.sock"), "/services/forwarder/expose", "{}", body, 300ms);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "no answer from " + dir.file("api.sock") + " to POST /services/forwarder/expose within 300 ms");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

class GvproxyProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ALFS_FAKE_GVPROXY_RECORD", dir.file("record").c_str(), 1);
    ::unsetenv("ALFS_FAKE_GVPROXY_REFUSE");
    log = open_file(dir.file("log"), O_WRONLY | O_CREAT | O_TRUNC);
  }
  void TearDown() override {
    ::unsetenv("ALFS_FAKE_GVPROXY_RECORD");
    ::unsetenv("ALFS_FAKE_GVPROXY_REFUSE");
  }
  TempDir dir{"alfs-gvproxy"};
  GvproxySockets sockets = gvproxy_sockets_in(dir.path());
  std::vector<PortForward> forwards = {{"127.0.0.1", 40001, 2049}, {"127.0.0.1", 40002, 20048}};
  UniqueFd log;
};

TEST_F(GvproxyProcess, ExposesTheForwardsAndDiesWithItsOwner) {
  write_file_atomic(sockets.network, "stale");  // a previous run's: gvproxy would refuse to start
  pid_t pid;
  {
    Gvproxy gvproxy = Gvproxy::start(FAKE_GVPROXY, sockets, log.get(), 10s);
    pid = gvproxy.pid();
    gvproxy.expose(forwards, gvproxy_network(), 5s);
    EXPECT_EQ(
        read_file(dir.file("record")),
        "argv -listen-vfkit unixgram://" + sockets.network + " -listen unix://" + sockets.api + " -ssh-port -1\n" +
            R"(POST /services/forwarder/expose HTTP/1.1 {"local":"127.0.0.1:40001","protocol":"tcp","remote":"192.168.127.2:2049"})"
            "\n"
            R"(POST /services/forwarder/expose HTTP/1.1 {"local":"127.0.0.1:40002","protocol":"tcp","remote":"192.168.127.2:20048"})"
            "\n");
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // ended and reaped
  EXPECT_EQ(errno, ESRCH);
  EXPECT_FALSE(std::filesystem::exists(sockets.network));
  EXPECT_FALSE(std::filesystem::exists(sockets.api));
}

TEST_F(GvproxyProcess, ARefusedForwardIsAnErrorWithGvproxysWords) {
  ::setenv("ALFS_FAKE_GVPROXY_REFUSE", "127.0.0.1:40002", 1);
  Gvproxy gvproxy = Gvproxy::start(FAKE_GVPROXY, sockets, log.get(), 10s);
  try {
    gvproxy.expose(forwards, gvproxy_network(), 5s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "gvproxy refused the forward 127.0.0.1:40002 -> 192.168.127.2:20048 (HTTP 500): proxy already "
                 "running for tcp on 127.0.0.1:40002");
  }
}

TEST_F(GvproxyProcess, AGvproxyThatExitsOrHangsIsReported) {
  try {
    Gvproxy::start("/bin/false", sockets, log.get(), 10s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("gvproxy exited while starting (exit code 1"));
  }
  make_executable(dir.file("silent"), "#!/bin/sh\nexec sleep 30\n");
  auto start = std::chrono::steady_clock::now();
  try {
    Gvproxy::start(dir.file("silent"), sockets, log.get(), 300ms);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "gvproxy did not create " + sockets.network + " within 300 ms");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // and the sleeper was killed, not waited for
}

}  // namespace
}  // namespace alfs::vm
