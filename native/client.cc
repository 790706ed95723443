#include "client.h"

#include <cerrno>
#include <exception>
#include <new>
#include <vector>

#include "js_convert.h"

namespace ipvs {
namespace {

int TimeoutArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value v = info[index];
  double ms = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(ms >= 1 && ms <= 2147483647.0))
    throw Napi::TypeError::New(info.Env(), "timeout must be a number of milliseconds from 1 to 2^31-1");
  return static_cast<int>(ms);
}

// A worker that settles a Promise. Subclasses fill outcome_ in Run() on the
// worker thread and build the resolved value in Result() on the JS thread.
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

class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Client* client, std::string nsPath, int timeoutMs)
      : PromiseWorker(client->Value(), "ipvs:open"), client_(client), nsPath_(std::move(nsPath)),
        timeoutMs_(timeoutMs) {}

 protected:
  Outcome Run() override { return Channel::Open(nsPath_, timeoutMs_, &channel_); }
  void OnOK() override {
    if (outcome_.ok()) {
      if (client_->closed()) {
        channel_->Cancel();
        outcome_ = Outcome::Fail(ECANCELED, "client closed while opening");
      } else {
        client_->Attach(channel_);
      }
    }
    PromiseWorker::OnOK();
  }

 private:
  Client* client_;
  std::string nsPath_;
  int timeoutMs_;
  std::shared_ptr<Channel> channel_;
};

class ExecuteWorker : public PromiseWorker {
 public:
  ExecuteWorker(Napi::Object receiver, std::shared_ptr<Channel> ch, std::vector<Request> reqs, int ms)
      : PromiseWorker(receiver, "ipvs:execute"), channel_(std::move(ch)), requests_(std::move(reqs)),
        timeoutMs_(ms) {}

 protected:
  Outcome Run() override { return channel_->Execute(requests_, timeoutMs_, &status_); }
  // Per-request statuses are worth having even when the batch as a whole
  // failed (timeout, cancel): the caller learns which requests took effect.
  void OnOK() override {
    Napi::HandleScope scope(Env());
    Napi::Int32Array status = Napi::Int32Array::New(Env(), status_.size());
    for (size_t i = 0; i < status_.size(); i++) status[i] = status_[i];
    if (outcome_.ok()) {
      deferred_.Resolve(status);
    } else {
      Napi::Error e = OutcomeToJs(Env(), outcome_);
      e.Set("status", status);
      deferred_.Reject(e.Value());
    }
  }

 private:
  std::shared_ptr<Channel> channel_;
  std::vector<Request> requests_;
  int timeoutMs_;
  std::vector<int> status_;
};

class QueryWorker : public PromiseWorker {
 public:
  QueryWorker(Napi::Object receiver, std::shared_ptr<Channel> ch, Request req, int ms)
      : PromiseWorker(receiver, "ipvs:query"), channel_(std::move(ch)), request_(std::move(req)),
        timeoutMs_(ms) {}

 protected:
  Outcome Run() override { return channel_->Query(request_, timeoutMs_, &records_); }
  Napi::Value Result() override {
    Napi::Array out = Napi::Array::New(Env(), records_.size());
    for (size_t i = 0; i < records_.size(); i++) out.Set(static_cast<uint32_t>(i), RecordToJs(Env(), records_[i]));
    return out;
  }

 private:
  std::shared_ptr<Channel> channel_;
  Request request_;
  int timeoutMs_;
  std::vector<Record> records_;
};

}  // namespace

Napi::Function Client::Define(Napi::Env env) {
  return DefineClass(env, "NativeClient",
                     {InstanceMethod<&Client::Open>("open"), InstanceMethod<&Client::Execute>("execute"),
                      InstanceMethod<&Client::Query>("query"), InstanceMethod<&Client::Close>("close"),
                      InstanceMethod<&Client::Family>("family")});
}

Client::Client(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Client>(info), env_(info.Env()) {
  napi_add_env_cleanup_hook(env_, CleanupHook, this);
}

Client::~Client() {
  Shutdown();
  napi_remove_env_cleanup_hook(env_, CleanupHook, this);
}

void Client::CleanupHook(void* self) { static_cast<Client*>(self)->Shutdown(); }

// Wakes any call in flight (it rejects with ECANCELED); the socket itself is
// closed when the last worker holding the channel lets go of it.
void Client::Shutdown() {
  closed_ = true;
  if (channel_) channel_->Cancel();
  channel_.reset();
}

void Client::Attach(std::shared_ptr<Channel> channel) { channel_ = std::move(channel); }

std::shared_ptr<Channel> Client::ChannelOrThrow(Napi::Env env) {
  if (closed_) throw Napi::Error::New(env, "the IPVS client is closed");
  if (!channel_) throw Napi::Error::New(env, "the IPVS client is not open");
  return channel_;
}

Napi::Value Client::Open(const Napi::CallbackInfo& info) {
  if (closed_) throw Napi::Error::New(info.Env(), "the IPVS client is closed");
  if (channel_) throw Napi::Error::New(info.Env(), "the IPVS client is already open");
  std::string nsPath;
  if (info[0].IsString()) nsPath = info[0].As<Napi::String>().Utf8Value();
  else if (!info[0].IsNull() && !info[0].IsUndefined())
    throw Napi::TypeError::New(info.Env(), "netns path must be a string or null");
  auto* worker = new OpenWorker(this, nsPath, TimeoutArg(info, 1));
  worker->Queue();
  return worker->Promise();
}

Napi::Value Client::Execute(const Napi::CallbackInfo& info) {
  std::shared_ptr<Channel> ch = ChannelOrThrow(info.Env());
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "requests must be an array");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<Request> requests;
  requests.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) requests.push_back(RequestFromJs(arr.Get(i)));
  auto* worker = new ExecuteWorker(Value(), ch, std::move(requests), TimeoutArg(info, 1));
  worker->Queue();
  return worker->Promise();
}

Napi::Value Client::Query(const Napi::CallbackInfo& info) {
  std::shared_ptr<Channel> ch = ChannelOrThrow(info.Env());
  auto* worker = new QueryWorker(Value(), ch, RequestFromJs(info[0]), TimeoutArg(info, 1));
  worker->Queue();
  return worker->Promise();
}

Napi::Value Client::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value Client::Family(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), channel_ ? channel_->family() : 0);
}

}  // namespace ipvs
