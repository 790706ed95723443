#include "tcp_connect_js.h"

#include <arpa/inet.h>

#include <memory>
#include <string>

#include "fd_poller.h"
#include "js_convert.h"
#include "tcp_connect.h"

namespace ipvs {
namespace {

// Ended attempts handed to the listener at once: one call per batch, not per
// attempt (4,000 a second).
constexpr int kBatch = 256;

// The epoll descriptor as the poller reads it: an Int32Array of [slot, errno]
// pairs per item.
class ConnectSource : public PolledSource {
 public:
  explicit ConnectSource(TcpConnects* connects) : connects_(connects) {}
  int fd() const override { return connects_->fd(); }
  bool ReadOne(Napi::Env env, Napi::Value* out) override {
    ended_.clear();
    connects_->Collect(&ended_, kBatch);
    if (ended_.empty()) return false;
    Napi::Int32Array a = Napi::Int32Array::New(env, ended_.size() * 2);
    for (size_t i = 0; i < ended_.size(); i++) {
      a[2 * i] = static_cast<int32_t>(ended_[i].slot);
      a[2 * i + 1] = ended_[i].err;
    }
    *out = a;
    return true;
  }
  TcpConnects& connects() { return *connects_; }

 private:
  std::unique_ptr<TcpConnects> connects_;
  std::vector<TcpConnects::Ended> ended_;
};

class TcpConnectsJs : public PolledObject<TcpConnectsJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    auto methods = PollerMethods();
    methods.push_back(InstanceMethod<&TcpConnectsJs::Start>("start"));
    methods.push_back(InstanceMethod<&TcpConnectsJs::Cancel>("cancel"));
    return DefineClass(env, "TcpConnects", methods);
  }

  // new TcpConnects(listener): listener(Int32Array of [slot, errno] pairs). Unreferenced: an
  // attempt's own timer keeps the process alive, an idle prober does not.
  explicit TcpConnectsJs(const Napi::CallbackInfo& info) : PolledObject<TcpConnectsJs>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "listener must be a function");
    TcpConnects* raw = nullptr;
    Outcome o = TcpConnects::Create(&raw);
    if (o.ok()) {
      auto source = std::make_unique<ConnectSource>(raw);
      source_ = source.get();
      FdPoller* p = nullptr;
      o = FdPoller::Start(env, std::move(source), info[0].As<Napi::Function>(), [this]() { poller_ = nullptr; source_ = nullptr; },
                          "watching the TCP checks' connections", &p);
      if (o.ok()) {
        poller_ = p;
        poller_->Ref(false);
      } else {
        source_ = nullptr;
      }
    }
    if (!o.ok()) throw OutcomeToJs(env, o);
  }
  ~TcpConnectsJs() override { Shutdown(); }

 private:
  // start(slot, address, port) => -1 in flight, 0 connected at once, else the errno.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!source_) return Napi::Number::New(env, EBADF);
    if (!info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber()) throw Napi::TypeError::New(env, "start(slot, address, port)");
    double slot = info[0].As<Napi::Number>().DoubleValue();
    double port = info[2].As<Napi::Number>().DoubleValue();
    if (!(slot >= 0 && slot < 4294967296.0) || !(port >= 0 && port <= 65535)) return Napi::Number::New(env, EINVAL);
    std::string address = info[1].As<Napi::String>().Utf8Value();
    uint8_t bytes[16];
    size_t len = 0;
    if (inet_pton(AF_INET, address.c_str(), bytes) == 1) len = 4;
    else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) len = 16;
    else return Napi::Number::New(env, EINVAL);
    return Napi::Number::New(env, source_->connects().Start(static_cast<uint32_t>(slot), bytes, len, static_cast<uint16_t>(port)));
  }

  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (source_ && info[0].IsNumber()) {
      double slot = info[0].As<Napi::Number>().DoubleValue();
      if (slot >= 0 && slot < 4294967296.0) source_->connects().Cancel(static_cast<uint32_t>(slot));
    }
    return info.Env().Undefined();
  }

  ConnectSource* source_ = nullptr;  // the poller's; cleared when it closes
};

}  // namespace

void RegisterTcpConnects(Napi::Env env, Napi::Object exports) { exports.Set("TcpConnects", TcpConnectsJs::Define(env)); }

}  // namespace ipvs
