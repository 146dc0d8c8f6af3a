#include "instance/guest_session.h"

#include <chrono>

namespace alfs {

using protocol::LineChannel;

namespace {

// A log line is welcome in every phase; true when `reply` was one.
bool logged(const protocol::GuestReply& reply, const LogFn& log) {
  if (auto* line = std::get_if<protocol::LogLine>(&reply)) {
    log("guest: " + line->text);
    return true;
  }
  return false;
}

}  // namespace

std::optional<protocol::Ready> await_ready(LineChannel& channel, std::chrono::milliseconds timeout, const LogFn& log) {
  Deadline deadline(timeout);
  for (;;) {
    auto r = protocol::receive_reply(channel, deadline);
    if (r.status == LineChannel::Status::kTimeout)
      throw Error("the guest did not mount the disk within " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                  " s (see `anylinuxfs dmesg` for its console)");
    if (r.status == LineChannel::Status::kClosed) return std::nullopt;
    if (logged(r.reply, log)) continue;
    if (auto* ready = std::get_if<protocol::Ready>(&r.reply)) return std::move(*ready);
    if (auto* error = std::get_if<protocol::GuestError>(&r.reply)) throw protocol::GuestFailure(*error);
    if (auto* progress = std::get_if<protocol::Progress>(&r.reply)) {
      log("guest: " + progress->step);
      continue;
    }
    throw protocol::unexpected(r.reply, "while mounting");
  }
}

bool take_serving_messages(LineChannel& channel, const LogFn& log) {
  for (;;) {
    auto r = protocol::receive_reply(channel, Deadline(std::chrono::milliseconds(0)));
    if (r.status == LineChannel::Status::kTimeout) return true;
    if (r.status == LineChannel::Status::kClosed) return false;
    if (!logged(r.reply, log)) throw protocol::unexpected(r.reply, "while the export is served");
  }
}

std::optional<protocol::Stopped> await_stopped(LineChannel& channel, const Deadline& deadline, const LogFn& log) {
  for (;;) {
    auto r = protocol::receive_reply(channel, deadline);
    if (r.status != LineChannel::Status::kMessage) return std::nullopt;
    if (logged(r.reply, log)) continue;
    if (auto* stopped = std::get_if<protocol::Stopped>(&r.reply)) return std::move(*stopped);
    throw protocol::unexpected(r.reply, "while stopping");
  }
}

}  // namespace alfs
