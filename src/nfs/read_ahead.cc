#include "nfs/read_ahead.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace alfs::nfs {

uint64_t ChangeLog::generation(const std::string& path) const {
  auto it = changed_.find(path);
  return std::max(all_, it == changed_.end() ? 0 : it->second);
}

void ChangeLog::changed(const std::string& path) {
  if (changed_.size() >= kMaxPaths) {
    changed_.clear();
    changed_all();
  }
  changed_[path] = ++latest_;
}

void ChangeLog::changed_all() { all_ = ++latest_; }

ReadAhead::~ReadAhead() {
  drop_all();
  reads_.wait([this] { return std::all_of(dropped_.begin(), dropped_.end(), [](const auto& c) { return c->done; }); });
}

void ReadAhead::drop_all() {
  for (auto& c : window_)
    if (!c->done) dropped_.push_back(std::move(c));
  window_.clear();
  std::erase_if(dropped_, [](const auto& c) { return c->done; });
  end_of_file_ = false;
}

bool ReadAhead::wait_for(const std::shared_ptr<Chunk>& chunk) {
  return chunk->done || reads_.wait([&] { return chunk->done; });
}

int ReadAhead::serve(uint64_t offset, size_t size, char* buf, bool& end_of_file) {
  size_t copied = 0;
  while (copied < size && !window_.empty()) {
    const auto chunk = window_.front();
    uint64_t at = offset + copied;
    if (at < chunk->offset || at >= chunk->offset + chunk->size) break;
    if (!wait_for(chunk)) return -ETIMEDOUT;
    if (chunk->result < 0) {
      drop_all();  // read it directly: that error, if it persists, is the one to report
      break;
    }
    uint64_t available_end = chunk->offset + static_cast<uint64_t>(chunk->result);
    size_t n = at < available_end ? std::min<size_t>(size - copied, available_end - at) : 0;
    std::memcpy(buf + copied, chunk->data.data() + (at - chunk->offset), n);
    copied += n;
    if (static_cast<size_t>(chunk->result) < chunk->size) {
      end_of_file = true;  // the file ends inside this chunk
      break;
    }
    if (at + n >= chunk->offset + chunk->size) window_.pop_front();
  }
  return static_cast<int>(copied);
}

void ReadAhead::top_up(Clock::time_point now) {
  while (!end_of_file_ && window_.size() < static_cast<size_t>(kDepth)) {
    uint64_t from = window_.empty() ? next_offset_ : window_.back()->offset + window_.back()->size;
    auto chunk = fetch(from, kChunk, now);
    if (!chunk) return;  // the direct reads carry on and report what is wrong
    window_.push_back(std::move(chunk));
  }
}

std::shared_ptr<ReadAhead::Chunk> ReadAhead::fetch(uint64_t offset, size_t size, Clock::time_point now) {
  auto chunk = std::make_shared<Chunk>();
  chunk->offset = offset;
  chunk->size = size;
  chunk->asked = now;
  // The completion owns a reference: it may come after the reader gave up on the chunk.
  int r = reads_.start(offset, size, [chunk](int result, const char* data) {
    chunk->result = result;
    if (result > 0) chunk->data.assign(data, static_cast<size_t>(result));
    chunk->done = true;
  });
  return r < 0 ? nullptr : chunk;
}

int ReadAhead::read(uint64_t offset, size_t size, char* buf, uint64_t generation, Clock::time_point now) {
  bool sequential = offset == next_offset_;
  if (generation != generation_ || !sequential || (!window_.empty() && now - window_.front()->asked > kMaxAge))
    drop_all();
  generation_ = generation;

  bool end_of_file = false;
  int copied = serve(offset, size, buf, end_of_file);
  if (copied < 0) return copied;
  if (static_cast<size_t>(copied) < size && !end_of_file) {
    // Not (or no longer) in the window: read directly what is missing.
    auto direct = fetch(offset + static_cast<uint64_t>(copied), size - static_cast<size_t>(copied), now);
    if (!direct) return copied > 0 ? copied : -EIO;
    if (!wait_for(direct)) {
      dropped_.push_back(direct);  // its completion may still come
      return copied > 0 ? copied : -ETIMEDOUT;
    }
    if (direct->result < 0) return copied > 0 ? copied : direct->result;
    std::memcpy(buf + copied, direct->data.data(), static_cast<size_t>(direct->result));
    copied += direct->result;
    if (static_cast<size_t>(copied) < size) end_of_file = true;
  }
  next_offset_ = offset + static_cast<uint64_t>(copied);
  if (end_of_file) {
    end_of_file_ = true;
  } else if (sequential) {
    // From the second read in a row on: a lone read or a random access fetches nothing more.
    top_up(now);
  }
  return copied;
}

}  // namespace alfs::nfs
