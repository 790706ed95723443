// A non-blocking descriptor watched by libuv on the JS thread, whose reads go
// to a JS listener: the VRRP socket, the link watch and the TCP checks'
// connects share it. It lives
// until libuv has closed the handle (uv_close is asynchronous), which may be
// after the JS object that made it is gone; environment teardown closes it too.
#pragma once

#include <napi.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "outcome.h"

namespace ipvs {

// What a poller reads: owns the descriptor (closed with it).
class PolledSource {
 public:
  virtual ~PolledSource() = default;
  virtual int fd() const = 0;
  // One item for the listener in *out; false when nothing more waits now (an
  // error the kernel clears on its own, ENOMEM say, also ends this round).
  virtual bool ReadOne(Napi::Env env, Napi::Value* out) = 0;
};

class FdPoller {
 public:
  // On the JS thread: starts watching. onClose runs once, when Close() starts
  // (by the owner or by environment teardown). On failure nothing is left.
  static Outcome Start(napi_env env, std::unique_ptr<PolledSource> source, Napi::Function listener,
                       std::function<void()> onClose, const char* what, FdPoller** out);

  PolledSource& source() { return *source_; }
  void Ref(bool ref);
  // On the JS thread: reads what waits now (one batch) and hands each item to
  // the listener, as a readable event does. For a caller that must not act on
  // a timer before it has seen what already arrived: libuv runs overdue timers
  // before it polls, so after a stall a timer fires ahead of waiting input.
  void ReadBatch();
  // Idempotent; the poller frees itself when libuv is done with the handle.
  void Close() { Close(false); }

 private:
  FdPoller() = default;
  void Close(bool teardown);
  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnClosed(uv_handle_t* handle);
  static void OnTeardown(napi_async_cleanup_hook_handle hook, void* self);

  uv_poll_t handle_;
  std::unique_ptr<PolledSource> source_;
  napi_env env_ = nullptr;
  Napi::FunctionReference listener_;
  std::function<void()> onClose_;
  napi_async_cleanup_hook_handle hook_ = nullptr;
  bool closing_ = false;
};

// The JS class of a polled descriptor: close() (idempotent), ref(), unref().
// A derived class calls Shutdown() in its own destructor (its poller's onClose
// may still write to its members), starts its poller into poller_, and gets
// poller_ cleared by that poller's onClose.
template <typename T>
class PolledObject : public Napi::ObjectWrap<T> {
 public:
  explicit PolledObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<T>(info) {}
  bool closed() const { return closed_; }

 protected:
  // The methods every such class has, for DefineClass.
  static std::vector<Napi::ClassPropertyDescriptor<T>> PollerMethods() {
    return {Napi::ObjectWrap<T>::InstanceMethod("close", &PolledObject::CloseJs),
            Napi::ObjectWrap<T>::InstanceMethod("ref", &PolledObject::RefJs),
            Napi::ObjectWrap<T>::InstanceMethod("unref", &PolledObject::UnrefJs)};
  }
  void Shutdown() {
    closed_ = true;
    if (poller_) poller_->Close();
  }

  FdPoller* poller_ = nullptr;
  bool opening_ = false;

 private:
  Napi::Value CloseJs(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }
  Napi::Value RefJs(const Napi::CallbackInfo& info) {
    if (poller_) poller_->Ref(true);
    return info.Env().Undefined();
  }
  Napi::Value UnrefJs(const Napi::CallbackInfo& info) {
    if (poller_) poller_->Ref(false);
    return info.Env().Undefined();
  }

  bool closed_ = false;
};

}  // namespace ipvs
