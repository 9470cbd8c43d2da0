// Handshake messages wait here for the handshake thread, so that X25519 work never sits on the
// receive path of data. Its length is the load signal that switches on cookies (mac2).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "util/bytes.h"
#include "util/ip.h"

namespace wgd::tunnel {

struct HandshakeItem {
  Endpoint from;
  Bytes datagram;
};

class HandshakeQueue {
 public:
  static constexpr std::size_t kCapacity = 1024;       // as wireguard-go's QueueHandshakeSize
  static constexpr std::size_t kLoadThreshold = kCapacity / 8;

  // False when full: the message is dropped, as a flood deserves.
  bool push(const Endpoint& from, ByteSpan datagram) {
    std::lock_guard lock(mutex_);
    if (closed_ || items_.size() >= kCapacity) return false;
    items_.push_back({from, Bytes(datagram.begin(), datagram.end())});
    ready_.notify_one();
    return true;
  }

  // Blocks for the next message; nullopt once closed. `backlog` gets the queue length left.
  std::optional<HandshakeItem> pop(std::size_t& backlog) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (closed_) return std::nullopt;
    HandshakeItem item = std::move(items_.front());
    items_.pop_front();
    backlog = items_.size();
    return item;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<HandshakeItem> items_;
  bool closed_ = false;
};

}  // namespace wgd::tunnel
