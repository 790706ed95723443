#include "fd_poller.h"

#include <cerrno>

namespace ipvs {
namespace {

// Items read per readable event: a flood yields to the rest of the loop
// between batches (libuv calls again while the descriptor stays readable).
constexpr int kReadsPerEvent = 64;

}  // namespace

Outcome FdPoller::Start(napi_env env, std::unique_ptr<PolledSource> source, Napi::Function listener,
                        std::function<void()> onClose, const char* what, FdPoller** out) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return Outcome::Fail(EINVAL, "finding the event loop");
  std::unique_ptr<FdPoller> p(new FdPoller());
  if (int rc = uv_poll_init(loop, &p->handle_, source->fd()); rc != 0) return Outcome::Fail(-rc, what);
  p->handle_.data = p.get();
  p->source_ = std::move(source);
  p->env_ = env;
  p->listener_ = Napi::Persistent(listener);
  p->onClose_ = std::move(onClose);
  napi_add_async_cleanup_hook(env, OnTeardown, p.get(), &p->hook_);
  int rc = uv_poll_start(&p->handle_, UV_READABLE, OnReadable);
  FdPoller* poller = p.release();  // from here libuv's: Close() frees it
  if (rc != 0) {
    poller->Close();
    return Outcome::Fail(-rc, what);
  }
  *out = poller;
  return Outcome::Ok();
}

void FdPoller::Ref(bool ref) {
  if (ref) uv_ref(reinterpret_cast<uv_handle_t*>(&handle_));
  else uv_unref(reinterpret_cast<uv_handle_t*>(&handle_));
}

void FdPoller::Close(bool teardown) {
  if (closing_) return;
  closing_ = true;
  if (onClose_) {
    auto onClose = std::move(onClose_);
    onClose_ = nullptr;
    onClose();
  }
  listener_.Reset();
  // On a normal close nothing is left for teardown to wait for.
  if (!teardown && hook_) {
    napi_remove_async_cleanup_hook(hook_);
    hook_ = nullptr;
  }
  uv_poll_stop(&handle_);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), OnClosed);
}

void FdPoller::OnClosed(uv_handle_t* handle) {
  FdPoller* self = static_cast<FdPoller*>(handle->data);
  if (self->hook_) napi_remove_async_cleanup_hook(self->hook_);  // teardown may proceed
  delete self;  // closes the descriptor
}

void FdPoller::OnTeardown(napi_async_cleanup_hook_handle, void* self) { static_cast<FdPoller*>(self)->Close(true); }

void FdPoller::OnReadable(uv_poll_t* handle, int status, int) {
  FdPoller* self = static_cast<FdPoller*>(handle->data);
  if (status < 0) return;
  self->ReadBatch();
}

void FdPoller::ReadBatch() {
  if (closing_) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  for (int i = 0; i < kReadsPerEvent && !closing_; i++) {
    try {
      Napi::HandleScope each(env);
      Napi::Value item;
      if (!source_->ReadOne(env, &item)) return;
      // MakeCallback: microtasks the listener queues run before the next item.
      listener_.MakeCallback(env.Global(), {item});
    } catch (const Napi::Error& e) {
      // A listener that threw: the process's uncaughtException, as for any event emitter.
      napi_fatal_exception(env, e.Value());
      return;
    } catch (...) {
      return;  // out of memory building an item: nothing crosses into libuv
    }
  }
}

}  // namespace ipvs
