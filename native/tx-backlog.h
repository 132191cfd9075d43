// The TUN write backlog: packets the kernel refused with EAGAIN, kept in
// order until the fd polls writable (tun.cc arms UV_WRITABLE while it is
// non-empty).
//
// When does a TUN write return EAGAIN? drivers/net/tun.c tun_get_user
// allocates the skb with sock_alloc_send_pskb, which charges it to the tun
// socket and refuses (EAGAIN on our O_NONBLOCK fd) once the charge of skbs we
// wrote and the kernel still holds reaches sk_sndbuf. The default sndbuf is
// INT_MAX, so only a device opened with TUNSETSNDBUF ever sees it, and only
// while written packets are held before ip_rcv_core's skb_orphan (e.g. a tc
// ingress redirect into a slow qdisc): see test/link/tun-eagain-linux.test.ts.
#pragma once

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <vector>

namespace tunstack {

class TxBacklog {
 public:
  // Totals since open, in the order of TX_STATS in src/link/native.ts.
  struct Stats {
    uint64_t eagain = 0;          // write calls refused with EAGAIN (first refusal and retries)
    uint64_t queued = 0;          // packets that entered the backlog
    uint64_t queueFull = 0;       // packets tail-dropped at the byte bound
    uint64_t lateSent = 0;        // backlog packets the kernel accepted later
    uint64_t lateErrors = 0;      // backlog packets a later write refused (not EAGAIN)
    int lateLastErrno = 0;
    uint64_t closeDiscarded = 0;  // still queued when the device closed
  };

  explicit TxBacklog(size_t maxBytes) : maxBytes_(maxBytes) {}

  bool empty() const { return packets_.empty(); }
  size_t packets() const { return packets_.size(); }
  size_t bytes() const { return bytes_; }
  Stats& stats() { return stats_; }

  // Copy [hdr, data] to the tail (JS may reuse its buffers once writeBatch
  // returns). A packet that would take the backlog past the bound is
  // tail-dropped, as a full pfifo does, so what is queued keeps its order;
  // never silently: queueFull counts it. Returns whether it was queued.
  bool Push(const uint8_t* hdr, size_t hdrLen, const uint8_t* data, size_t len) {
    if (bytes_ + hdrLen + len > maxBytes_) {
      stats_.queueFull++;
      return false;
    }
    std::vector<uint8_t> v(hdrLen + len);
    if (hdrLen) memcpy(v.data(), hdr, hdrLen);
    memcpy(v.data() + hdrLen, data, len);
    bytes_ += v.size();
    packets_.push_back(std::move(v));
    stats_.queued++;
    return true;
  }

  // Write from the head until empty or EAGAIN. Returns true when empty
  // (the caller disarms UV_WRITABLE), false when the fd is full again.
  bool Flush(int fd) {
    while (!packets_.empty()) {
      std::vector<uint8_t>& v = packets_.front();
      ssize_t r = write(fd, v.data(), v.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno == EAGAIN) {
        stats_.eagain++;
        return false;
      }
      if (r < 0) {
        stats_.lateErrors++;
        stats_.lateLastErrno = errno;
      } else {
        stats_.lateSent++;
      }
      bytes_ -= v.size();
      packets_.pop_front();
    }
    return true;
  }

  // The fd is closing: whatever still waits is lost, and counted.
  void Discard() {
    stats_.closeDiscarded += packets_.size();
    packets_.clear();
    bytes_ = 0;
  }

 private:
  size_t maxBytes_;
  std::deque<std::vector<uint8_t>> packets_;
  size_t bytes_ = 0;
  Stats stats_;
};

}  // namespace tunstack
