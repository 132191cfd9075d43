// tunstack conformance helper addon: a packet socket on the KERNEL side of a
// TUN device, used by the conformance runner's wire mode to play the remote
// peer without the kernel's own TCP (see test/conformance/README.md).
//
// An AF_PACKET/SOCK_DGRAM socket bound to the TUN's ifindex (IPv4 only): sendto() hands an IPv4 datagram to the device's transmit path, so
// the process holding the TUN fd reads it; recvfrom() sees every datagram that
// process writes into the TUN (the kernel's receive path taps packet sockets
// before IP routing). Packets the kernel itself transmits on the device
// (PACKET_OUTGOING: the kernel answering tunstack, which must not happen) are
// delivered too, flagged, so the runner can fail loudly. Our own sendto()s
// are never looped back to this socket. Not used by the stack.
//
// JS surface (wrapped by src/conformance/wire/packet-socket.ts):
//   new PacketSocket({ ifname, netns? })
//     .start(onPackets(buffers: Buffer[], outgoing: Uint8Array))  fresh Buffers the caller may keep;
//                                             outgoing[i] = 1: the kernel transmitted it
//     .send(buf) -> 0 or errno                 one sendto(), never blocks
//     .close()
// Errors are thrown as JS Errors with .code ('EPERM'), .errno and .syscall.

#include <napi.h>
#include <uv.h>

#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int kMaxBatch = 256;
constexpr size_t kMaxPacket = 65536;

using tunstack::SetupError;
using tunstack::SysError;

// Socket, ifindex lookup and bind in the calling thread's namespace. A packet
// socket stays bound to the device it was created for after we switch back.
int OpenInCurrentNs(const std::string& ifname, int* ifindex, SetupError* oe) {
  // ETH_P_ALL, not ETH_P_IP: the kernel hands its own transmissions
  // (dev_queue_xmit_nit) only to ETH_P_ALL taps; non-IPv4 is filtered below.
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) {
    oe->set(errno, "socket", "AF_PACKET");
    return -1;
  }
  unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) {
    oe->set(errno, "if_nametoindex", ifname);
    close(fd);
    return -1;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(idx);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sll), sizeof sll) < 0) {
    oe->set(errno, "bind", ifname);
    close(fd);
    return -1;
  }
  *ifindex = static_cast<int>(idx);
  return fd;
}

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {InstanceMethod("start", &PacketSocket::Start), InstanceMethod("send", &PacketSocket::Send),
                        InstanceMethod("close", &PacketSocket::Close)});
  }

  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "PacketSocket({ ifname, netns? })");
    Napi::Object o = info[0].As<Napi::Object>();
    if (!o.Get("ifname").IsString()) throw Napi::TypeError::New(env, "ifname must be a string");
    std::string ifname = o.Get("ifname").As<Napi::String>();
    std::string netns = o.Get("netns").IsString() ? std::string(o.Get("netns").As<Napi::String>()) : "";
    SetupError oe;
    fd_ = tunstack::InNetns(env, netns, &oe, [&](SetupError* e) { return OpenInCurrentNs(ifname, &ifindex_, e); });
    if (fd_ < 0) throw SysError(env, oe.err, oe.syscall, oe.what);
  }

  ~PacketSocket() { Shutdown(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw Napi::Error::New(env, "packet socket is closed");
    if (poll_) throw Napi::Error::New(env, "already started");
    if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "start(onPackets) needs a function");
    env_ = env;
    cb_ = Napi::Persistent(info[0].As<Napi::Function>());
    self_ = Napi::Persistent(info.This().As<Napi::Object>());
    asyncCtx_.reset(new Napi::AsyncContext(env, "tunstack:packet"));
    poll_ = tunstack::StartPoll(env, fd_, this, OnReadable);
    return env.Undefined();
  }

  static void OnReadable(uv_poll_t* h, int status, int events) {
    if (status < 0 || !(events & UV_READABLE)) return;
    static_cast<PacketSocket*>(h->data)->Drain();
  }

  // Copies each datagram into its own Buffer: this path carries a handful of
  // script packets, so simplicity beats the TUN path's slab reuse.
  void Drain() {
    Napi::HandleScope scope(env_);
    std::vector<napi_value> got;
    std::vector<uint8_t> outgoing;
    std::vector<uint8_t> buf(kMaxPacket);
    for (int n = 0; n < kMaxBatch && fd_ >= 0; n++) {
      struct sockaddr_ll from;
      socklen_t fl = sizeof from;
      ssize_t r = recvfrom(fd_, buf.data(), buf.size(), MSG_TRUNC, reinterpret_cast<struct sockaddr*>(&from), &fl);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (from.sll_protocol != htons(ETH_P_IP)) continue;  // e.g. the kernel's IPv6 router solicitations
      size_t len = static_cast<size_t>(r) > buf.size() ? buf.size() : static_cast<size_t>(r);
      got.push_back(Napi::Buffer<uint8_t>::Copy(env_, buf.data(), len));
      outgoing.push_back(from.sll_pkttype == PACKET_OUTGOING ? 1 : 0);
    }
    if (got.empty()) return;
    Napi::Array arr = Napi::Array::New(env_, got.size());
    for (size_t i = 0; i < got.size(); i++) arr.Set(static_cast<uint32_t>(i), got[i]);
    Napi::Uint8Array out = Napi::Uint8Array::New(env_, outgoing.size());
    memcpy(out.Data(), outgoing.data(), outgoing.size());
    napi_value args[2] = {arr, out};
    tunstack::CallJs(env_, *asyncCtx_, self_.Value(), cb_.Value(), 2, args);
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "send(buffer) needs a Buffer");
    if (fd_ < 0) return Napi::Number::New(env, EBADF);
    Napi::Uint8Array b = info[0].As<Napi::Uint8Array>();
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_ifindex = ifindex_;
    ssize_t r;
    do {
      r = sendto(fd_, b.Data(), b.ByteLength(), 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to);
    } while (r < 0 && errno == EINTR);
    return Napi::Number::New(env, r < 0 ? errno : 0);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    tunstack::StopPoll(&poll_);
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (!cb_.IsEmpty()) cb_.Reset();
    if (!self_.IsEmpty()) self_.Reset();
    asyncCtx_.reset();
  }

  int fd_ = -1;
  int ifindex_ = 0;
  uv_poll_t* poll_ = nullptr;
  napi_env env_ = nullptr;
  Napi::FunctionReference cb_;
  Napi::ObjectReference self_;
  std::unique_ptr<Napi::AsyncContext> asyncCtx_;
};

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(tunstack_packet, InitAll)
