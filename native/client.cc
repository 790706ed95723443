#include "client.h"

#include <cerrno>
#include <chrono>
#include <exception>
#include <new>
#include <vector>

#include "js_convert.h"
#include "promise_worker.h"
#include "table_read.h"

namespace ipvs {
namespace {

int TimeoutArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value v = info[index];
  double ms = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(ms >= 1 && ms <= 2147483647.0))
    throw Napi::TypeError::New(info.Env(), "timeout must be a number of milliseconds from 1 to 2^31-1");
  return static_cast<int>(ms);
}

std::vector<Request> RequestsFromJs(Napi::Value value) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), "requests must be an array");
  Napi::Array arr = value.As<Napi::Array>();
  std::vector<Request> requests;
  requests.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    // A scope per element: tens of thousands of handles in one scope cost
    // more than the conversion itself.
    Napi::HandleScope scope(value.Env());
    requests.push_back(RequestFromJs(arr.Get(i)));
  }
  return requests;
}

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

// One request whose answer is data (a dump or a single GET).
class QueryWorker : public PromiseWorker {
 public:
  QueryWorker(Napi::Object receiver, std::shared_ptr<Channel> ch, Request req, int ms)
      : PromiseWorker(receiver, "ipvs:query"), channel_(std::move(ch)), request_(std::move(req)), timeoutMs_(ms) {}

 protected:
  Outcome Run() override { return channel_->Query(request_, timeoutMs_, &records_); }
  Napi::Value Result() override {
    Napi::Array out = Napi::Array::New(Env(), records_.size());
    for (size_t i = 0; i < records_.size(); i++) {
      Napi::HandleScope scope(Env());
      out.Set(static_cast<uint32_t>(i), RecordToJs(Env(), records_[i]));
    }
    return out;
  }

 private:
  std::shared_ptr<Channel> channel_;
  Request request_;
  int timeoutMs_;
  std::vector<Record> records_;
};

// The whole table in one worker run (Channel::GetTable): the services never
// cross into JS and back to be asked for their destinations.
class TableWorker : public PromiseWorker {
 public:
  TableWorker(Napi::Object receiver, std::shared_ptr<Channel> ch, int ms, bool withStats)
      : PromiseWorker(receiver, "ipvs:getTable"), channel_(std::move(ch)),
        deadline_(Channel::Clock::now() + std::chrono::milliseconds(ms)), withStats_(withStats) {}

 protected:
  Outcome Run() override { return ReadTable(*channel_, deadline_, withStats_, &table_); }
  Napi::Value Result() override { return TableToJs(Env(), table_); }

 private:
  std::shared_ptr<Channel> channel_;
  Channel::Clock::time_point deadline_;  // from the call, not from when the worker starts
  bool withStats_;  // false: counters left out (a save needs none, and they cost most of the conversion)
  std::vector<TableEntry> table_;
};

// The same reading packed as it is read (TablePacker) on the worker thread:
// one typed array and the distinct texts cross into JS, not 50,000 objects
// (apply's reading).
class PackedTableWorker : public PromiseWorker {
 public:
  // lastWords: the client's, the size of its last packed reading (read and
  // written on the JS thread; the receiver keeps the client alive).
  PackedTableWorker(Napi::Object receiver, std::shared_ptr<Channel> ch, int ms, size_t* lastWords)
      : PromiseWorker(receiver, "ipvs:getTablePacked"), channel_(std::move(ch)),
        deadline_(Channel::Clock::now() + std::chrono::milliseconds(ms)), lastWords_(lastWords),
        expectWords_(*lastWords) {}

 protected:
  Outcome Run() override {
    TablePacker packer(&packed_, expectWords_);
    return ReadTable(*channel_, deadline_, false, &packer);
  }
  Napi::Value Result() override {
    *lastWords_ = packed_.words.size();
    return PackedTableToJs(Env(), &packed_);
  }

 private:
  std::shared_ptr<Channel> channel_;
  Channel::Clock::time_point deadline_;
  size_t* lastWords_;
  size_t expectWords_;
  PackedTable packed_;
};

}  // namespace

Napi::Function Client::Define(Napi::Env env) {
  return DefineClass(env, "NativeClient",
                     {InstanceMethod<&Client::Open>("open"), InstanceMethod<&Client::Execute>("execute"),
                      InstanceMethod<&Client::Query>("query"), InstanceMethod<&Client::GetTable>("getTable"),
                      InstanceMethod<&Client::GetTablePacked>("getTablePacked"),
                      InstanceMethod<&Client::Close>("close"),
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
  std::vector<Request> requests = RequestsFromJs(info[0]);
  auto* worker = new ExecuteWorker(Value(), ch, std::move(requests), TimeoutArg(info, 1));
  worker->Queue();
  return worker->Promise();
}

Napi::Value Client::Query(const Napi::CallbackInfo& info) {
  std::shared_ptr<Channel> ch = ChannelOrThrow(info.Env());
  Request request = RequestFromJs(info[0]);
  auto* worker = new QueryWorker(Value(), ch, std::move(request), TimeoutArg(info, 1));
  worker->Queue();
  return worker->Promise();
}

Napi::Value Client::GetTable(const Napi::CallbackInfo& info) {
  std::shared_ptr<Channel> ch = ChannelOrThrow(info.Env());
  int timeoutMs = TimeoutArg(info, 0);
  if (!info[1].IsBoolean()) throw Napi::TypeError::New(info.Env(), "withStats must be a boolean");
  auto* worker = new TableWorker(Value(), ch, timeoutMs, info[1].As<Napi::Boolean>().Value());
  worker->Queue();
  return worker->Promise();
}

Napi::Value Client::GetTablePacked(const Napi::CallbackInfo& info) {
  std::shared_ptr<Channel> ch = ChannelOrThrow(info.Env());
  auto* worker = new PackedTableWorker(Value(), ch, TimeoutArg(info, 0), &packedWords_);
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
