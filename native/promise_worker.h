// A libuv worker that settles a Promise, shared by every async call of the
// addon. Subclasses fill outcome_ in Run() on the worker thread and build the
// resolved value in Result() on the JS thread.
#pragma once

#include <napi.h>

#include <cerrno>
#include <new>

#include "js_convert.h"
#include "outcome.h"

namespace ipvs {

// Nothing escapes Execute(): allocation failures become ENOMEM.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  // Holds the client object for the call's lifetime so it cannot be
  // collected while a worker still uses its channel.
  PromiseWorker(Napi::Object receiver, const char* name)
      : Napi::AsyncWorker(receiver.Env(), name),
        receiver_(Napi::Persistent(receiver)),
        deferred_(Napi::Promise::Deferred::New(receiver.Env())) {
    SuppressDestruct();  // OnWorkComplete below destroys, whatever happens
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  // When the environment is being torn down (a worker thread terminated), N-API
  // calls fail and node-addon-api turns that into a C++ exception that would
  // escape into libuv and abort the process. Nothing can be settled then.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (...) {
    }
    Destroy();
  }

 protected:
  virtual Outcome Run() = 0;
  virtual Napi::Value Result() { return Env().Undefined(); }

  void Execute() override {
    try {
      outcome_ = Run();
    } catch (const std::bad_alloc&) {
      outcome_ = Outcome::Fail(ENOMEM, "allocating memory");
    } catch (...) {
      outcome_ = Outcome::Fail(EFAULT, "internal error");
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (!outcome_.ok()) {
      Reject(outcome_);
      return;
    }
    try {
      deferred_.Resolve(Result());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void Reject(const Outcome& o) { deferred_.Reject(OutcomeToJs(Env(), o).Value()); }

  Outcome outcome_;
  Napi::ObjectReference receiver_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace ipvs
