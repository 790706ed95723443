#include "link_watch_js.h"

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "fd_poller.h"
#include "link_watch.h"
#include "promise_worker.h"

namespace ipvs {
namespace {

// The socket as the poller reads it: one link event per item (a datagram may
// hold several), or 'overrun' when events were lost.
class LinkSource : public PolledSource {
 public:
  explicit LinkSource(std::unique_ptr<LinkWatch> watch) : watch_(std::move(watch)) {}
  int fd() const override { return watch_->fd(); }
  bool ReadOne(Napi::Env env, Napi::Value* out) override {
    while (pending_.empty()) {
      std::vector<LinkEvent> events;
      int err = 0;
      LinkWatch::Read r = watch_->Receive(&events, &err);
      if (r == LinkWatch::Read::kEmpty || r == LinkWatch::Read::kError) return false;
      if (r == LinkWatch::Read::kOverrun) {
        *out = Napi::String::New(env, "overrun");
        return true;
      }
      pending_.insert(pending_.end(), events.begin(), events.end());
    }
    const LinkEvent& e = pending_.front();
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", e.index);
    o.Set("name", e.name);
    o.Set("up", e.up);
    o.Set("running", e.running);
    o.Set("removed", e.removed);
    pending_.pop_front();
    *out = o;
    return true;
  }

 private:
  std::unique_ptr<LinkWatch> watch_;
  std::deque<LinkEvent> pending_;
};

class LinkWatchJs : public PolledObject<LinkWatchJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    auto methods = PollerMethods();
    methods.push_back(InstanceMethod<&LinkWatchJs::Open>("open"));
    return DefineClass(env, "LinkWatch", methods);
  }
  explicit LinkWatchJs(const Napi::CallbackInfo& info) : PolledObject<LinkWatchJs>(info) {}
  ~LinkWatchJs() override { Shutdown(); }

  Outcome Attach(std::unique_ptr<LinkWatch> watch, Napi::Function listener) {
    FdPoller* p = nullptr;
    Outcome o = FdPoller::Start(Env(), std::make_unique<LinkSource>(std::move(watch)), listener, [this]() { poller_ = nullptr; },
                                "watching the link events", &p);
    if (o.ok()) poller_ = p;
    return o;
  }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
};

class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(LinkWatchJs* target, std::string nsPath, SteadyClock::time_point deadline, Napi::Function listener)
      : PromiseWorker(target->Value(), "ipvs:linkWatchOpen"), target_(target), nsPath_(std::move(nsPath)), deadline_(deadline),
        listener_(Napi::Persistent(listener)) {}

 protected:
  Outcome Run() override { return LinkWatch::Open(nsPath_, deadline_, &watch_); }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (outcome_.ok()) {
      if (target_->closed()) outcome_ = Outcome::Fail(ECANCELED, "the link watch was closed while opening");
      else outcome_ = target_->Attach(std::move(watch_), listener_.Value());
    }
    listener_.Reset();
    if (!outcome_.ok()) Reject(outcome_);
    else deferred_.Resolve(Env().Undefined());
  }

 private:
  LinkWatchJs* target_;  // kept alive by the worker's reference to its JS object
  std::string nsPath_;
  SteadyClock::time_point deadline_;
  Napi::FunctionReference listener_;
  std::unique_ptr<LinkWatch> watch_;
};

// open(nsPath | null, timeoutMs, listener) => Promise<void>
Napi::Value LinkWatchJs::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed()) throw Napi::Error::New(env, "the link watch is closed");
  if (opening_) throw Napi::Error::New(env, "open() may be called once per link watch");
  std::string nsPath;
  if (info[0].IsString()) nsPath = info[0].As<Napi::String>().Utf8Value();
  else if (!info[0].IsNull() && !info[0].IsUndefined()) throw Napi::TypeError::New(env, "netns path must be a string or null");
  double ms = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (!(ms >= 1 && ms <= 2147483647.0)) throw Napi::TypeError::New(env, "timeout must be a number of milliseconds from 1 to 2^31-1");
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "listener must be a function");
  opening_ = true;
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(static_cast<int64_t>(ms));
  auto* worker = new OpenWorker(this, std::move(nsPath), deadline, info[2].As<Napi::Function>());
  worker->Queue();
  return worker->Promise();
}

}  // namespace

void RegisterLinkWatch(Napi::Env env, Napi::Object exports) { exports.Set("LinkWatch", LinkWatchJs::Define(env)); }

}  // namespace ipvs
