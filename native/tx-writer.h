// The TUN writer thread ({ txThread: true }): the write syscalls leave the
// JS thread. On a TUN the kernel does its whole receive path (IP, TCP, the
// peer socket's wake-up) inside our write(2), about a third of the JS thread's
// time on a download (bench:profile); here that runs on another core while JS
// produces the next batch.
//
// Ownership: Submit takes pointers into JS memory (the TX slab, payloads).
// JS promises not to reuse or free that memory until Done() reaches the job's
// id (src/link/tun.ts keeps each batch and its slab until then), and Stop()
// joins the thread before returning, so C never touches JS memory after close.
//
// EAGAIN (a TUNSETSNDBUF-limited device, see tx-backlog.h): the thread polls
// the fd for POLLOUT and retries the same packet, so order is kept and
// nothing is dropped silently. The queue is bounded in bytes (txQueueMax):
// Submit takes what fits and reports full; JS keeps the rest and waits for
// onRoom (backpressure), so the writer never drops.
#pragma once

#include "checksum.h"
#include "soft-gso.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tunstack {

constexpr size_t kTxHdrLen = 10;        // sizeof(struct virtio_net_hdr)
constexpr uint8_t kNeedsCsum = 1;        // VIRTIO_NET_HDR_F_NEEDS_CSUM

// One packet as JS queued it: its bytes and its virtio_net_hdr (written in
// front of it with IFF_VNET_HDR; without, only its checksum fields are used).
struct TxPacket {
  uint8_t* data;
  uint32_t len;
  uint8_t hdr[kTxHdrLen];
};

// Without IFF_VNET_HDR nobody else finishes a NEEDS_CSUM checksum: do it here
// (Linux skb_checksum_help). Returns false if the header's offsets are bad.
inline bool SoftwareChecksum(TxPacket& p) {
  if (!(p.hdr[0] & kNeedsCsum)) return true;
  size_t start = p.hdr[6] | (p.hdr[7] << 8);
  size_t offset = p.hdr[8] | (p.hdr[9] << 8);
  return FinishPartialChecksum(p.data, p.len, start, offset);
}

// A header asking for GSO (gso_type != NONE): without IFF_VNET_HDR the
// addon cuts it itself (soft-gso.h).
inline bool IsGso(const TxPacket& p) { return p.hdr[1] != 0; }
inline size_t GsoSize(const TxPacket& p) { return p.hdr[4] | (p.hdr[5] << 8); }

class TxWriter {
 public:
  // Totals since open (read from the JS thread while the writer runs).
  struct Stats {
    std::atomic<uint64_t> eagain{0};      // writes refused with EAGAIN (each retry counts)
    std::atomic<uint64_t> queued{0};      // packets that entered the queue
    std::atomic<uint64_t> queueFull{0};   // unused: the caller keeps what does not fit (src/link/tun.ts counts its own drops)
    std::atomic<uint64_t> sent{0};        // packets the kernel accepted
    std::atomic<uint64_t> errors{0};      // packets refused with another errno (or bad offsets)
    std::atomic<int> lastErrno{0};
    std::atomic<uint64_t> discarded{0};   // still queued when the device closed
  };

  // `onRoom` runs on the writer thread when a queue that Submit reported
  // full (past `highWater` bytes) has drained to a quarter of it: the
  // backpressure signal (tun.cc turns it into a uv_async wake-up of JS).
  TxWriter(int fd, bool vnet, size_t maxBytes, size_t highWater, std::function<void()> onRoom)
      : fd_(fd), vnet_(vnet), maxBytes_(maxBytes), highWater_(highWater), onRoom_(std::move(onRoom)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~TxWriter() { Stop(); }

  // JS thread: queue a batch; returns its job id (Done() reaches it once
  // every packet of it was written or counted). Takes packets from the front
  // while they fit under the byte bound and stops at the first that does
  // not: `*accepted` says how many, the caller keeps the rest (nothing is
  // dropped here). `full`: past highWater bytes, or not all taken; the
  // caller holds further batches until onRoom runs.
  uint64_t Submit(std::vector<TxPacket>&& pkts, uint32_t* accepted, bool* full) {
    std::lock_guard<std::mutex> lock(mu_);
    Job job;
    job.id = ++lastId_;
    job.packets.reserve(pkts.size());
    for (TxPacket& p : pkts) {
      size_t b = p.len + (vnet_ ? kTxHdrLen : 0);
      // An empty queue takes any one packet, so a packet larger than the bound still goes.
      if (bytes_ + b > maxBytes_ && bytes_ > 0) break;
      bytes_ += b;
      packetsQueued_++;
      job.bytes += b;
      job.packets.push_back(p);
    }
    stats_.queued += job.packets.size();
    *accepted = static_cast<uint32_t>(job.packets.size());
    *full = bytes_ > highWater_ || job.packets.size() < pkts.size();
    if (*full) wantRoom_ = true;
    jobs_.push_back(std::move(job));
    cv_.notify_one();
    return lastId_;
  }

  uint64_t Done() const { return done_.load(std::memory_order_acquire); }
  Stats& stats() { return stats_; }
  size_t pendingPackets() {
    std::lock_guard<std::mutex> lock(mu_);
    return packetsQueued_;
  }
  size_t pendingBytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }

  // Write what the kernel takes without waiting, count the rest as
  // discarded, and join: after this C holds no pointer into JS memory.
  void Stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      cv_.notify_one();
    }
    thread_.join();
  }

 private:
  struct Job {
    uint64_t id = 0;
    size_t bytes = 0;
    std::vector<TxPacket> packets;
  };

  void Run() {
    // Signals belong to Node's main thread.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    pthread_setname_np(pthread_self(), "tunstack-tx");
    std::deque<Job> work;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty() && stopping_) return;
        work.swap(jobs_);
      }
      for (Job& job : work) {
        size_t n = 0;
        for (; n < job.packets.size(); n++)
          if (!WriteOne(job.packets[n])) break;  // stopping while the fd stays full
        size_t left = job.packets.size() - n;
        if (left > 0) stats_.discarded += left;
        bool wake = false;
        {
          std::lock_guard<std::mutex> lock(mu_);
          bytes_ -= job.bytes;
          packetsQueued_ -= job.packets.size();
          if (wantRoom_ && bytes_ <= highWater_ / 4) {
            wantRoom_ = false;
            wake = true;
          }
        }
        done_.store(job.id, std::memory_order_release);
        if (wake && onRoom_) onRoom_();
      }
      work.clear();
    }
  }

  // Returns false only when the device is closing and the fd is still full.
  bool WriteOne(TxPacket& p) {
    if (!vnet_ && IsGso(p)) {
      bool ok = true;
      int n = SoftGsoTcp4(p.data, p.len, GsoSize(p), [&](struct iovec* iov, int cnt) { return ok = WriteIov(iov, cnt); });
      if (n < 0) {
        stats_.errors++;
        stats_.lastErrno = EINVAL;
      }
      return ok;
    }
    if (!vnet_ && !SoftwareChecksum(p)) {
      stats_.errors++;
      stats_.lastErrno = EINVAL;
      return true;
    }
    struct iovec iov[2];
    int cnt = 0;
    if (vnet_) iov[cnt++] = {p.hdr, kTxHdrLen};
    iov[cnt++] = {p.data, p.len};
    return WriteIov(iov, cnt);
  }

  bool WriteIov(struct iovec* iov, int cnt) {
    for (;;) {
      ssize_t r = writev(fd_, iov, cnt);
      if (r >= 0) {
        stats_.sent++;
        return true;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        stats_.errors++;
        stats_.lastErrno = errno;
        return true;
      }
      stats_.eagain++;
      if (Stopping()) return false;
      struct pollfd pfd = {fd_, POLLOUT, 0};
      poll(&pfd, 1, 50);  // woken by room in the socket; the timeout rechecks stopping_
    }
  }

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }

  int fd_;
  bool vnet_;
  size_t maxBytes_;
  size_t highWater_;
  std::function<void()> onRoom_;
  bool wantRoom_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  size_t bytes_ = 0;
  size_t packetsQueued_ = 0;
  uint64_t lastId_ = 0;
  bool stopping_ = false;
  std::atomic<uint64_t> done_{0};
  Stats stats_;
  std::thread thread_;
};

}  // namespace tunstack
