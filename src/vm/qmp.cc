#include "vm/qmp.h"

#include <sys/socket.h>

#include <cstring>

#include "common/error.h"

namespace alfs::vm {

using protocol::LineChannel;

namespace {
nlohmann::json next(LineChannel& channel, const Deadline& deadline, const std::string& waiting_for) {
  auto r = channel.receive(deadline);
  if (r.status == LineChannel::Status::kTimeout) throw Error("QEMU did not answer " + waiting_for + " in time");
  if (r.status == LineChannel::Status::kClosed) throw Error("QEMU closed its monitor while " + waiting_for);
  return r.message;
}
}  // namespace

Qmp::Qmp(UniqueFd socket, const Deadline& deadline) : fd_(std::move(socket)), channel_(fd_.get(), /*typed=*/false) {
  if (!next(channel_, deadline, "the monitor's greeting").contains("QMP"))
    throw Error("QEMU's monitor did not greet with QMP");
  execute("qmp_capabilities", deadline);
}

nlohmann::json Qmp::execute(const std::string& command, const nlohmann::json& arguments, const Deadline& deadline) {
  nlohmann::json message{{"execute", command}};
  if (!arguments.empty()) message["arguments"] = arguments;
  channel_.send(message);
  return await_return(command, deadline);
}

void Qmp::give_fd(const std::string& name, int fd, const Deadline& deadline) {
  std::string line = protocol::encode_line({{"execute", "getfd"}, {"arguments", {{"fdname", name}}}});
  iovec iov{line.data(), line.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  // A unix stream socket takes a line this short whole.
  if (::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    throw SystemError("passing an fd to QEMU's monitor");
  await_return("getfd", deadline);
}

nlohmann::json Qmp::await_return(const std::string& command, const Deadline& deadline) {
  for (;;) {
    nlohmann::json reply = next(channel_, deadline, command);
    if (reply.contains("event")) continue;
    if (auto error = reply.find("error"); error != reply.end()) {
      std::string desc = error->is_object() ? error->value("desc", std::string("no description")) : error->dump();
      throw Error("QEMU refused " + command + ": " + desc);
    }
    if (auto value = reply.find("return"); value != reply.end()) return *value;
  }
}

}  // namespace alfs::vm
