// tunstack native addon: open a Linux TUN/TAP device, configure it, and move
// packets in batches. No protocol logic lives here (see DESIGN.md).
//
// JS surface (wrapped by src/link/native.ts, which also formats errors):
//   new TunDevice({ name, mode: 'tun'|'tap', netns?, mtu?, addr?, prefixLen?, up? })
//     .name .fd .mode .readSize
//     .start(onBatch(arrayBuffer, pairs: Uint32Array [off, len, off, len, ...]))
//     .writeBatch(buffers: Buffer[], vnetHdrs?: Uint8Array)
//        -> [sent, dropped, lastErrno, queued, eagainTotal, doneJob, jobId, txFull]
//     .txStats() -> Float64Array of totals, indexed as TX_STATS in src/link/native.ts
//   A write that fails with EAGAIN is queued (copied) with every packet after
//   it and written when the fd polls writable; `queued` counts those. The
//   backlog is bounded ({ txQueueMax } bytes, default 16 MiB): past it a packet
//   is tail-dropped and counted (queueFull), never written out of order.
//   With { vnetHdr: true } (IFF_VNET_HDR) every packet read starts with a
//   10-byte virtio_net_hdr, and writeBatch takes one header per packet in
//   `vnetHdrs` (10 bytes each) and writes [header, packet] with writev.
//   Without it, a header with NEEDS_CSUM still says which checksum the addon
//   must finish (checksum.h): the no-offload path sums payloads in C.
//   With { txThread: true } writeBatch only queues: a writer thread
//   (tx-writer.h) writes, and JS keeps every buffer of job `jobId` untouched
//   until a later call reports doneJob >= jobId.
//   .offload is the TUN_F_* flags the kernel accepted (TUNSETOFFLOAD), and
//   .offloadErrno the errno if it refused the requested ones.
//     .close() .ref() .unref()
// Errors are thrown as JS Errors with .code ('EPERM'), .errno and .syscall.

#include <napi.h>
#include <uv.h>

#include "common.h"
#include "tx-backlog.h"
#include "tx-writer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <stdlib.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

// Bytes reserved in the slab for one read. Reads must never be truncated, so
// this is the device MTU plus link header room (Ethernet 14 + VLAN 4) rounded
// up. IFF_VNET_HDR (future work) would add sizeof(virtio_net_hdr) here and
// allow 64 KiB GSO reads; see the note in TunDevice::Open.
constexpr int kLinkHeaderRoom = 32;
constexpr int kMaxBatch = 256;
constexpr size_t kSlabPackets = 128;
// IFF_VNET_HDR: the header in front of each packet, and the largest read
// (a 64 KiB GSO super-packet plus its header and Ethernet for TAP).
constexpr size_t kVnetHdrLen = 10;
constexpr size_t kVnetReadSize = 65536 + 64;
constexpr size_t kVnetSlabSize = 1 << 20;
constexpr int kDefaultOffload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
constexpr size_t kDefaultTxQueueMax = 16 << 20;
// Writer-thread queue bytes past which writeBatch reports it full (txFull);
// at most half of txQueueMax, so a held batch never meets the tail drop.
constexpr size_t kTxHighWater = 4 << 20;

using tunstack::SetupError;
using tunstack::SysError;

struct OpenOptions {
  std::string name;
  bool tap = false;
  std::string netns;
  int mtu = 0;
  std::string addr;
  int prefixLen = -1;
  bool up = false;
  bool vnetHdr = false;
  int sndBuf = 0;
  // Bytes the EAGAIN backlog may hold (0: kDefaultTxQueueMax).
  double txQueueMax = 0;
  // TUN_F_* flags to ask for with TUNSETOFFLOAD (vnetHdr only).
  int offloadFlags = kDefaultOffload;
  // Write from a writer thread (tx-writer.h) instead of the JS thread.
  bool txThread = false;
};

struct OpenResult {
  std::string name;
  int offload = 0;
  int offloadErrno = 0;
};

int Ifreq(int sock, unsigned long req, struct ifreq* ifr) { return ioctl(sock, req, ifr); }

// Create and configure the device in the calling thread's current namespace.
// Returns the tun fd or -1 with `se` set.
// IFF_VNET_HDR offloads (Linux drivers/net/tun.c set_offload): ask for
// `flags`; a kernel that refuses them (EINVAL) leaves the device with no
// offload, which is what the caller falls back to and reports.
void SetOffload(int fd, int flags, OpenResult* res) {
  int sz = static_cast<int>(kVnetHdrLen);
  ioctl(fd, TUNSETVNETHDRSZ, &sz);
  if (ioctl(fd, TUNSETOFFLOAD, static_cast<unsigned long>(flags)) == 0) {
    res->offload = flags;
    return;
  }
  res->offloadErrno = errno;
  res->offload = 0;
  ioctl(fd, TUNSETOFFLOAD, 0UL);
}

int CreateDevice(const OpenOptions& o, OpenResult* res, SetupError* se) {
  std::string* actualName = &res->name;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    se->set(errno, "open", "/dev/net/tun");
    return -1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  // IFF_NO_PI: no 4-byte packet-information prefix, frames start at the IP
  // (or Ethernet) header. IFF_VNET_HDR would be OR-ed in here (future work:
  // it prefixes every packet with a virtio_net_hdr and enables GSO/checksum
  // offload; the slab read size and both batch paths would need the prefix).
  ifr.ifr_flags = (o.tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | (o.vnetHdr ? IFF_VNET_HDR : 0);
  strncpy(ifr.ifr_name, o.name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    se->set(errno, "ioctl", "TUNSETIFF " + o.name);
    close(fd);
    return -1;
  }
  *actualName = ifr.ifr_name;
  if (o.vnetHdr) SetOffload(fd, o.offloadFlags, res);
  if (o.sndBuf > 0 && ioctl(fd, TUNSETSNDBUF, &o.sndBuf) < 0) {
    se->set(errno, "ioctl", "TUNSETSNDBUF");
    close(fd);
    return -1;
  }

  bool needSock = o.mtu > 0 || !o.addr.empty() || o.up;
  if (!needSock) return fd;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    se->set(errno, "socket", "AF_INET (for interface ioctls)");
    close(fd);
    return -1;
  }
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, actualName->c_str(), IFNAMSIZ - 1);
  if (o.mtu > 0) {
    ifr.ifr_mtu = o.mtu;
    if (Ifreq(sock, SIOCSIFMTU, &ifr) < 0) se->set(errno, "ioctl", "SIOCSIFMTU " + *actualName);
  }
  if (!se->failed() && !o.addr.empty()) {
    struct sockaddr_in* sin = reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_addr);
    memset(&ifr.ifr_addr, 0, sizeof ifr.ifr_addr);
    sin->sin_family = AF_INET;
    if (inet_pton(AF_INET, o.addr.c_str(), &sin->sin_addr) != 1) {
      se->set(EINVAL, "inet_pton", "address " + o.addr);
    } else if (Ifreq(sock, SIOCSIFADDR, &ifr) < 0) {
      se->set(errno, "ioctl", "SIOCSIFADDR " + o.addr);
    } else if (o.prefixLen >= 0) {
      uint32_t mask = o.prefixLen == 0 ? 0 : (0xffffffffu << (32 - o.prefixLen));
      memset(&ifr.ifr_netmask, 0, sizeof ifr.ifr_netmask);
      sin = reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_netmask);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = htonl(mask);
      if (Ifreq(sock, SIOCSIFNETMASK, &ifr) < 0) se->set(errno, "ioctl", "SIOCSIFNETMASK " + *actualName);
    }
  }
  if (!se->failed() && o.up) {
    if (Ifreq(sock, SIOCGIFFLAGS, &ifr) < 0) {
      se->set(errno, "ioctl", "SIOCGIFFLAGS " + *actualName);
    } else {
      ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
      if (Ifreq(sock, SIOCSIFFLAGS, &ifr) < 0) se->set(errno, "ioctl", "SIOCSIFFLAGS " + *actualName);
    }
  }
  close(sock);
  if (se->failed()) {
    close(fd);
    return -1;
  }
  return fd;
}

class TunDevice : public Napi::ObjectWrap<TunDevice> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "TunDevice",
                       {
                           InstanceMethod("start", &TunDevice::Start),
                           InstanceMethod("writeBatch", &TunDevice::WriteBatch),
                           InstanceMethod("txStats", &TunDevice::TxStats),
                           InstanceMethod("close", &TunDevice::Close),
                           InstanceMethod("ref", &TunDevice::Ref),
                           InstanceMethod("unref", &TunDevice::Unref),
                       });
  }

  explicit TunDevice(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<TunDevice>(info), tx_(kDefaultTxQueueMax) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "TunDevice(options) needs an object");
    OpenOptions o = ParseOptions(env, info[0].As<Napi::Object>());
    OpenResult res;
    fd_ = Open(env, o, &res);
    if (o.txQueueMax > 0) tx_ = tunstack::TxBacklog(static_cast<size_t>(o.txQueueMax));
    mtu_ = o.mtu > 0 ? o.mtu : 1500;
    vnet_ = o.vnetHdr;
    readSize_ = vnet_ ? kVnetReadSize : mtu_ + kLinkHeaderRoom;
    if (o.txThread) {
      // Backpressure: past kTxHighWater queued bytes JS holds its batches
      // until the writer wakes it (uv_async, OnTxRoom) with room again.
      roomAsync_ = new uv_async_t;
      roomAsync_->data = this;
      uv_loop_t* loop = nullptr;
      napi_get_uv_event_loop(env, &loop);
      uv_async_init(loop, roomAsync_, OnTxRoom);
      uv_unref(reinterpret_cast<uv_handle_t*>(roomAsync_));
      uv_async_t* wake = roomAsync_;
      size_t max = o.txQueueMax > 0 ? static_cast<size_t>(o.txQueueMax) : kDefaultTxQueueMax;
      writer_.reset(new tunstack::TxWriter(fd_, vnet_, max, std::min(max / 2, kTxHighWater), [wake] { uv_async_send(wake); }));
    }
    Napi::Object self = info.This().As<Napi::Object>();
    self.Set("name", Napi::String::New(env, res.name));
    self.Set("vnetHdr", Napi::Boolean::New(env, vnet_));
    self.Set("offload", Napi::Number::New(env, res.offload));
    self.Set("offloadErrno", Napi::Number::New(env, res.offloadErrno));
    self.Set("fd", Napi::Number::New(env, fd_));
    self.Set("mode", Napi::String::New(env, o.tap ? "tap" : "tun"));
    self.Set("readSize", Napi::Number::New(env, readSize_));
    self.Set("txThread", Napi::Boolean::New(env, writer_ != nullptr));
  }

  ~TunDevice() override { Shutdown(); }

 private:
  static OpenOptions ParseOptions(Napi::Env env, Napi::Object obj) {
    OpenOptions o;
    if (obj.Has("name") && obj.Get("name").IsString()) o.name = obj.Get("name").As<Napi::String>();
    if (o.name.size() >= IFNAMSIZ) throw Napi::TypeError::New(env, "interface name longer than 15 bytes");
    std::string mode = obj.Has("mode") && obj.Get("mode").IsString() ? obj.Get("mode").As<Napi::String>().Utf8Value() : "tun";
    if (mode != "tun" && mode != "tap") throw Napi::TypeError::New(env, "mode must be 'tun' or 'tap'");
    o.tap = mode == "tap";
    if (obj.Has("netns") && obj.Get("netns").IsString()) o.netns = obj.Get("netns").As<Napi::String>();
    if (obj.Has("mtu") && obj.Get("mtu").IsNumber()) o.mtu = obj.Get("mtu").As<Napi::Number>().Int32Value();
    if (o.mtu < 0 || o.mtu > 65535) throw Napi::RangeError::New(env, "mtu out of range");
    if (obj.Has("addr") && obj.Get("addr").IsString()) o.addr = obj.Get("addr").As<Napi::String>();
    if (obj.Has("prefixLen") && obj.Get("prefixLen").IsNumber()) o.prefixLen = obj.Get("prefixLen").As<Napi::Number>().Int32Value();
    if (o.prefixLen > 32) throw Napi::RangeError::New(env, "prefixLen must be 0..32");
    if (obj.Has("up")) o.up = obj.Get("up").ToBoolean();
    if (obj.Has("vnetHdr")) o.vnetHdr = obj.Get("vnetHdr").ToBoolean();
    if (obj.Has("sndBuf") && obj.Get("sndBuf").IsNumber()) o.sndBuf = obj.Get("sndBuf").As<Napi::Number>().Int32Value();
    if (obj.Has("txQueueMax") && obj.Get("txQueueMax").IsNumber()) o.txQueueMax = obj.Get("txQueueMax").As<Napi::Number>().DoubleValue();
    if (o.txQueueMax < 0) throw Napi::RangeError::New(env, "txQueueMax must be >= 0");
    if (obj.Has("offloadFlags") && obj.Get("offloadFlags").IsNumber())
      o.offloadFlags = obj.Get("offloadFlags").As<Napi::Number>().Int32Value();
    if (obj.Has("txThread")) o.txThread = obj.Get("txThread").ToBoolean();
    return o;
  }

  // With `netns`, this thread enters the namespace only for device creation
  // and configuration, then returns: the device (and its fd) stays there
  // while the Node process keeps its own namespace.
  static int Open(Napi::Env env, const OpenOptions& o, OpenResult* res) {
    SetupError se;
    int fd = tunstack::InNetns(env, o.netns, &se, [&](SetupError* e) { return CreateDevice(o, res, e); });
    if (fd < 0) throw SysError(env, se.err, se.syscall, se.what + (o.netns.empty() ? "" : " (in netns " + o.netns + ")"));
    return fd;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw Napi::Error::New(env, "device is closed");
    if (poll_) throw Napi::Error::New(env, "already started");
    if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "start(onBatch, onTxRoom?) needs a function");
    env_ = env;
    onBatch_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (info.Length() >= 2 && info[1].IsFunction()) onTxRoom_ = Napi::Persistent(info[1].As<Napi::Function>());
    self_ = Napi::Persistent(info.This().As<Napi::Object>());
    asyncCtx_.reset(new Napi::AsyncContext(env, "tunstack:read"));
    poll_ = tunstack::StartPoll(env, fd_, this, OnEvents);
    if (!refed_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return env.Undefined();
  }

  // The writer thread drained a queue writeBatch had reported full: JS may send again.
  static void OnTxRoom(uv_async_t* h) {
    TunDevice* self = static_cast<TunDevice*>(h->data);
    if (self == nullptr || self->onTxRoom_.IsEmpty() || self->fd_ < 0) return;
    Napi::HandleScope scope(self->env_);
    tunstack::CallJs(self->env_, *self->asyncCtx_, self->self_.Value(), self->onTxRoom_.Value(), 0, nullptr);
  }

  static void OnEvents(uv_poll_t* h, int status, int events) {
    TunDevice* self = static_cast<TunDevice*>(h->data);
    if (status < 0) return;
    if (events & UV_WRITABLE) self->FlushPending();
    if ((events & UV_READABLE) && self->fd_ >= 0) self->Drain();
  }

  void ArmWritable(bool on) {
    if (poll_ == nullptr || writableArmed_ == on) return;
    writableArmed_ = on;
    uv_poll_start(poll_, UV_READABLE | (on ? UV_WRITABLE : 0), OnEvents);
  }

  // The fd polled writable: write the EAGAIN backlog (tx-backlog.h) in order.
  void FlushPending() {
    if (fd_ >= 0 && !tx_.Flush(fd_)) return;  // still full: stay armed
    ArmWritable(false);
  }

  // Slabs come from malloc (no zero fill: every byte JS sees was written by
  // read()) and are freed by V8 when the last view of them is collected.
  void NewSlab() {
    size_t size = vnet_ ? kVnetSlabSize : readSize_ * kSlabPackets;
    void* mem = malloc(size);
    if (mem == nullptr) Napi::Error::Fatal("tunstack", "out of memory for a receive slab");
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env_, mem, size, [](Napi::Env, void* p) { free(p); });
    slab_ = Napi::Persistent(ab);
    slabData_ = static_cast<uint8_t*>(ab.Data());
    slabSize_ = size;
    slabPos_ = 0;
  }

  // Read until EAGAIN or kMaxBatch packets, then hand JS one callback per
  // slab used (normally exactly one per wake-up).
  void Drain() {
    Napi::HandleScope scope(env_);
    std::vector<uint32_t> pairs;
    pairs.reserve(64);
    for (int n = 0; n < kMaxBatch && fd_ >= 0; n++) {
      if (slab_.IsEmpty() || slabSize_ - slabPos_ < readSize_) {
        if (!pairs.empty()) {
          Deliver(pairs);
          pairs.clear();
          if (fd_ < 0) return;
        }
        NewSlab();
      }
      ssize_t r = read(fd_, slabData_ + slabPos_, readSize_);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (r == 0) break;
      pairs.push_back(static_cast<uint32_t>(slabPos_));
      pairs.push_back(static_cast<uint32_t>(r));
      // Keep the next packet 8-byte aligned so 32-bit views stay cheap.
      slabPos_ += (static_cast<size_t>(r) + 7) & ~static_cast<size_t>(7);
    }
    if (!pairs.empty()) Deliver(pairs);
  }

  // BUFFER LIFETIME: the slab region [0, slabPos_) has been handed to JS and
  // is never written again; later reads only fill the slab forward, and a new
  // slab is allocated when less than one max-size read remains. JS may keep
  // subarrays of a delivered packet indefinitely (they keep the slab alive).
  void Deliver(const std::vector<uint32_t>& pairs) {
    Napi::Uint32Array arr = Napi::Uint32Array::New(env_, pairs.size());
    memcpy(arr.Data(), pairs.data(), pairs.size() * sizeof(uint32_t));
    napi_value args[2] = {slab_.Value(), arr};
    tunstack::CallJs(env_, *asyncCtx_, self_.Value(), onBatch_.Value(), 2, args);
  }

  Napi::Value WriteBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "writeBatch(buffers[]) needs an array");
    Napi::Array arr = info[0].As<Napi::Array>();
    uint32_t len = arr.Length();
    const uint8_t* hdrs = nullptr;
    static const uint8_t kZeroHdr[kVnetHdrLen] = {0};
    if (info.Length() >= 2 && info[1].IsTypedArray()) {
      Napi::Uint8Array h = info[1].As<Napi::Uint8Array>();
      if (h.ByteLength() < len * kVnetHdrLen) throw Napi::RangeError::New(env, "vnetHdrs shorter than 10 bytes per packet");
      hdrs = h.Data();
    }
    if (writer_) return Submit(env, arr, len, hdrs);
    uint32_t sent = 0, dropped = 0, lastErrno = 0, queued = 0;
    // One packet as [a, b] (the vnet header and the packet, or a GSO
    // segment's header and payload slice): written, or queued behind an
    // earlier EAGAIN to keep the order (tx-backlog.h copies it), or dropped.
    auto writeParts = [&](const uint8_t* a, size_t aLen, const uint8_t* b, size_t bLen) {
      if (!tx_.empty()) {
        if (tx_.Push(a, aLen, b, bLen)) queued++;
        return true;
      }
      struct iovec iov[2] = {{const_cast<uint8_t*>(a), aLen}, {const_cast<uint8_t*>(b), bLen}};
      int cnt = aLen > 0 ? 2 : 1;
      ssize_t r;
      do {
        r = writev(fd_, aLen > 0 ? iov : iov + 1, cnt);
      } while (r < 0 && errno == EINTR);
      if (r < 0 && errno == EAGAIN) {
        tx_.stats().eagain++;
        if (tx_.Push(a, aLen, b, bLen)) {
          queued++;
          ArmWritable(true);
        }
      } else if (r < 0) {
        dropped++;
        lastErrno = errno;
      } else {
        sent++;
      }
      return true;
    };
    for (uint32_t i = 0; i < len; i++) {
      Napi::Value v = arr.Get(i);
      if (!v.IsTypedArray() || fd_ < 0) {
        dropped++;
        continue;
      }
      Napi::Uint8Array b = v.As<Napi::Uint8Array>();
      if (!vnet_ && hdrs) {
        // No device offload: cut a super-packet (soft-gso.h) or finish a
        // partial checksum (checksum.h) here, as Linux does for such a device.
        tunstack::TxPacket p{b.Data(), static_cast<uint32_t>(b.ByteLength()), {}};
        memcpy(p.hdr, hdrs + i * kVnetHdrLen, kVnetHdrLen);
        if (tunstack::IsGso(p)) {
          int n = tunstack::SoftGsoTcp4(p.data, p.len, tunstack::GsoSize(p), [&](struct iovec* iov, int) {
            return writeParts(static_cast<uint8_t*>(iov[0].iov_base), iov[0].iov_len, static_cast<uint8_t*>(iov[1].iov_base),
                              iov[1].iov_len);
          });
          if (n < 0) {
            dropped++;
            lastErrno = EINVAL;
          }
          continue;
        }
        if (!tunstack::SoftwareChecksum(p)) {
          dropped++;
          lastErrno = EINVAL;
          continue;
        }
      }
      // With IFF_VNET_HDR: [virtio_net_hdr, packet] in one writev, the packet is not copied to make room.
      if (vnet_) writeParts(hdrs ? hdrs + i * kVnetHdrLen : kZeroHdr, kVnetHdrLen, b.Data(), b.ByteLength());
      else writeParts(nullptr, 0, b.Data(), b.ByteLength());
    }
    return Result(env, sent, dropped, lastErrno, queued, static_cast<double>(tx_.stats().eagain), 0, 0);
  }

  static Napi::Value Result(Napi::Env env, double sent, uint32_t dropped, uint32_t lastErrno, uint32_t queued,
                            double eagain, double doneJob, double jobId, bool txFull = false) {
    Napi::Array out = Napi::Array::New(env, 8);
    out.Set(0u, sent);
    out.Set(1u, dropped);
    out.Set(2u, lastErrno);
    out.Set(3u, queued);
    out.Set(4u, eagain);
    out.Set(5u, doneJob);
    out.Set(6u, jobId);
    out.Set(7u, txFull ? 1 : 0);
    return out;
  }

  // txThread: hand the batch to the writer thread (pointers only; JS keeps
  // the memory until doneJob reaches the returned jobId).
  Napi::Value Submit(Napi::Env env, Napi::Array arr, uint32_t len, const uint8_t* hdrs) {
    std::vector<tunstack::TxPacket> pkts;
    pkts.reserve(len);
    // The writer takes a prefix of the batch (JS keeps the rest): every entry must be a packet.
    if (fd_ < 0) return Result(env, static_cast<double>(writer_->stats().sent.load()), len, EBADF, 0, 0, 0, 0);
    uint32_t dropped = 0;
    for (uint32_t i = 0; i < len; i++) {
      Napi::Value v = arr.Get(i);
      if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "writeBatch: every packet must be a Buffer");
      Napi::Uint8Array b = v.As<Napi::Uint8Array>();
      tunstack::TxPacket p{b.Data(), static_cast<uint32_t>(b.ByteLength()), {}};
      if (hdrs) memcpy(p.hdr, hdrs + i * kVnetHdrLen, kVnetHdrLen);
      pkts.push_back(p);
    }
    uint32_t accepted = 0;
    bool txFull = false;
    uint64_t id = writer_->Submit(std::move(pkts), &accepted, &txFull);
    const tunstack::TxWriter::Stats& s = writer_->stats();
    // `sent` is the writer's running total here (the writes happen later).
    return Result(env, static_cast<double>(s.sent.load()), dropped, 0, accepted,
                  static_cast<double>(s.eagain.load()),
                  static_cast<double>(writer_->Done()), static_cast<double>(id), txFull);
  }

  // Totals of the TX backlog since open; the order is TX_STATS in
  // src/link/native.ts. Readable after close (closeDiscarded is set then).
  Napi::Value TxStats(const Napi::CallbackInfo& info) {
    if (writer_) return WriterStats(info.Env());
    const tunstack::TxBacklog::Stats& s = tx_.stats();
    const double v[] = {static_cast<double>(s.eagain),     static_cast<double>(s.queued),
                        static_cast<double>(s.queueFull),  static_cast<double>(s.lateSent),
                        static_cast<double>(s.lateErrors), static_cast<double>(s.lateLastErrno),
                        static_cast<double>(tx_.packets()), static_cast<double>(tx_.bytes()),
                        static_cast<double>(s.closeDiscarded)};
    constexpr size_t n = sizeof v / sizeof v[0];
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), n);
    for (size_t i = 0; i < n; i++) out[i] = v[i];
    return out;
  }

  // The writer thread's totals in the same slots: every packet passes its
  // queue, so `queued` and `lateSent` count all of them.
  Napi::Value WriterStats(Napi::Env env) {
    tunstack::TxWriter::Stats& s = writer_->stats();
    const double v[] = {static_cast<double>(s.eagain.load()),    static_cast<double>(s.queued.load()),
                        static_cast<double>(s.queueFull.load()), static_cast<double>(s.sent.load()),
                        static_cast<double>(s.errors.load()),    static_cast<double>(s.lastErrno.load()),
                        static_cast<double>(writer_->pendingPackets()), static_cast<double>(writer_->pendingBytes()),
                        static_cast<double>(s.discarded.load()), static_cast<double>(writer_->Done())};
    constexpr size_t n = sizeof v / sizeof v[0];
    Napi::Float64Array out = Napi::Float64Array::New(env, n);
    for (size_t i = 0; i < n; i++) out[i] = v[i];
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    refed_ = true;
    if (poll_) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    refed_ = false;
    if (poll_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  // The poll is stopped before the fd is closed (libuv requires it); the
  // handle itself is freed in its close callback.
  void Shutdown() {
    tunstack::StopPoll(&poll_);
    writableArmed_ = false;
    // A backlog still waiting for EAGAIN to clear dies with the fd: counted.
    tx_.Discard();
    // The writer thread finishes (or counts) its queue and is joined before the fd closes.
    if (writer_) writer_->Stop();
    if (roomAsync_) {
      // The thread is joined: nothing sends on it any more.
      uv_close(reinterpret_cast<uv_handle_t*>(roomAsync_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
      roomAsync_ = nullptr;
    }
    if (!onTxRoom_.IsEmpty()) onTxRoom_.Reset();
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (!onBatch_.IsEmpty()) onBatch_.Reset();
    if (!self_.IsEmpty()) self_.Reset();
    if (!slab_.IsEmpty()) slab_.Reset();
    asyncCtx_.reset();
  }

  int fd_ = -1;
  int mtu_ = 1500;
  bool vnet_ = false;
  tunstack::TxBacklog tx_;
  std::unique_ptr<tunstack::TxWriter> writer_;
  uv_async_t* roomAsync_ = nullptr;
  Napi::FunctionReference onTxRoom_;
  bool writableArmed_ = false;
  size_t readSize_ = 0;
  bool refed_ = true;
  uv_poll_t* poll_ = nullptr;
  napi_env env_ = nullptr;
  Napi::FunctionReference onBatch_;
  Napi::ObjectReference self_;
  Napi::Reference<Napi::ArrayBuffer> slab_;
  uint8_t* slabData_ = nullptr;
  size_t slabSize_ = 0;
  size_t slabPos_ = 0;
  std::unique_ptr<Napi::AsyncContext> asyncCtx_;
};

// finishChecksum(packet, csumStart, csumOffset) -> boolean: the C checksum
// the no-offload send path uses (checksum.h), exported for its golden tests.
Napi::Value FinishChecksum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "finishChecksum(packet, csumStart, csumOffset)");
  Napi::Uint8Array b = info[0].As<Napi::Uint8Array>();
  int64_t start = info[1].As<Napi::Number>().Int64Value();
  int64_t offset = info[2].As<Napi::Number>().Int64Value();
  if (start < 0 || offset < 0) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, tunstack::FinishPartialChecksum(b.Data(), b.ByteLength(), static_cast<size_t>(start),
                                                                 static_cast<size_t>(offset)));
}

// softGsoTcp4(packet, gsoSize) -> Buffer[] | null: the segments the
// no-offload path writes for a super-packet (soft-gso.h), each copied out for
// the golden tests; null if the headers are malformed.
Napi::Value SoftGso(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "softGsoTcp4(packet, gsoSize)");
  Napi::Uint8Array b = info[0].As<Napi::Uint8Array>();
  int64_t gso = info[1].As<Napi::Number>().Int64Value();
  if (gso <= 0 || gso > 65535) return env.Null();
  std::vector<Napi::Value> segs;
  int n = tunstack::SoftGsoTcp4(b.Data(), b.ByteLength(), static_cast<size_t>(gso), [&](struct iovec* iov, int cnt) {
    size_t total = 0;
    for (int i = 0; i < cnt; i++) total += iov[i].iov_len;
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, total);
    size_t at = 0;
    for (int i = 0; i < cnt; i++) {
      memcpy(out.Data() + at, iov[i].iov_base, iov[i].iov_len);
      at += iov[i].iov_len;
    }
    segs.push_back(out);
    return true;
  });
  if (n < 0) return env.Null();
  Napi::Array arr = Napi::Array::New(env, segs.size());
  for (size_t i = 0; i < segs.size(); i++) arr.Set(static_cast<uint32_t>(i), segs[i]);
  return arr;
}

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  exports.Set("softGsoTcp4", Napi::Function::New(env, SoftGso));
  exports.Set("TunDevice", TunDevice::Init(env));
  exports.Set("finishChecksum", Napi::Function::New(env, FinishChecksum));
  return exports;
}

}  // namespace

NODE_API_MODULE(tunstack, InitAll)
