// Pieces both addons need (tun.cc: the TUN/TAP device; packet.cc: the
// conformance runner's packet socket): errno-carrying JS errors, running a
// setup step inside another network namespace, the uv_poll readable watch
// and calling back into JS from it.
#pragma once

#include <napi.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace tunstack {

inline const char* ErrnoName(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EAGAIN: return "EAGAIN";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    case EMSGSIZE: return "EMSGSIZE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENOTDIR: return "ENOTDIR";
    case ENETDOWN: return "ENETDOWN";
    default: return "EUNKNOWN";
  }
}

// A JS Error shaped like Node's system errors: .code ('EPERM'), .errno
// (negative, as libuv), .syscall, and .detail (what was being done).
inline Napi::Error SysError(Napi::Env env, int e, const char* syscall, const std::string& what) {
  Napi::Error err = Napi::Error::New(env, std::string(syscall) + " " + what + ": " + strerror(e));
  err.Set("code", Napi::String::New(env, ErrnoName(e)));
  err.Set("errno", Napi::Number::New(env, -e));
  err.Set("syscall", Napi::String::New(env, syscall));
  err.Set("detail", Napi::String::New(env, what));
  return err;
}

// The first failed step of a setup sequence, carried out of a
// namespace-switched region so the thread is home again before JS is touched.
struct SetupError {
  int err = 0;
  const char* syscall = "";
  std::string what;
  bool failed() const { return err != 0; }
  void set(int e, const char* sc, std::string w) {
    if (err == 0) {
      err = e;
      syscall = sc;
      what = std::move(w);
    }
  }
};

// Run `open` (returning an fd, or -1 with `se` set) inside network namespace
// `netns` (a name under /var/run/netns, or a path), then return this thread to
// its own namespace. Devices and sockets created there stay there while the
// process keeps its namespace. Failing to get back is fatal: every later
// socket of the process would land in the wrong namespace.
template <class Open>
int InNetns(Napi::Env env, const std::string& netns, SetupError* se, Open&& open) {
  if (netns.empty()) return open(se);
  std::string path = netns.find('/') == std::string::npos ? "/var/run/netns/" + netns : netns;
  int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) throw SysError(env, errno, "open", "netns " + path);
  int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    int e = errno;
    close(target);
    throw SysError(env, e, "open", "/proc/thread-self/ns/net");
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(target);
    close(self);
    throw SysError(env, e, "setns", "netns " + path);
  }
  int fd = open(se);
  if (setns(self, CLONE_NEWNET) < 0) Napi::Error::Fatal("tunstack", "setns back to the original network namespace failed");
  close(target);
  close(self);
  return fd;
}

// Watch `fd` for readability on Node's loop; `data` comes back in h->data.
inline uv_poll_t* StartPoll(Napi::Env env, int fd, void* data, uv_poll_cb cb) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no uv loop");
  uv_poll_t* poll = new uv_poll_t;
  poll->data = data;
  int r = uv_poll_init(loop, poll, fd);
  if (r == 0) r = uv_poll_start(poll, UV_READABLE, cb);
  if (r != 0) {
    delete poll;
    throw Napi::Error::New(env, std::string("uv_poll failed: ") + uv_strerror(r));
  }
  return poll;
}

// Stop before the fd is closed (libuv requires it); the handle is freed in its close callback.
inline void StopPoll(uv_poll_t** poll) {
  if (*poll == nullptr) return;
  uv_poll_stop(*poll);
  uv_close(reinterpret_cast<uv_handle_t*>(*poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  *poll = nullptr;
}

// Call JS from a libuv callback with async context (so nextTicks and
// microtasks run afterwards); an exception thrown by JS is reported as
// uncaught, as Node does for its own handles.
inline void CallJs(napi_env env, Napi::AsyncContext& ctx, napi_value recv, napi_value fn, size_t argc,
                   const napi_value* args) {
  napi_value result;
  napi_status st = napi_make_callback(env, ctx, recv, fn, argc, args, &result);
  if (st == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
    napi_fatal_exception(env, ex);
  }
}

}  // namespace tunstack
