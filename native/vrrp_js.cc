#include "vrrp_js.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fd_poller.h"
#include "promise_worker.h"
#include "vrrp_announce.h"
#include "vrrp_socket.h"

namespace vrrp {
namespace {

using ipvs::Outcome;

int FamilyFromJs(Napi::Value v) {
  std::string f = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (f == "inet") return AF_INET;
  if (f == "inet6") return AF_INET6;
  throw Napi::TypeError::New(v.Env(), "family must be 'inet' or 'inet6'");
}

const char* FamilyName(int family) { return family == AF_INET6 ? "inet6" : "inet"; }

Ip IpFromJs(Napi::Value v, int family, const char* what) {
  Ip ip;
  if (v.IsString()) {
    std::string text = v.As<Napi::String>().Utf8Value();
    if (inet_pton(family, text.c_str(), ip.bytes) == 1) {
      ip.family = family;
      return ip;
    }
  }
  throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an " + (family == AF_INET ? "IPv4" : "IPv6") + " address");
}

std::string IpText(const Ip& ip) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(ip.family, ip.bytes, text, sizeof text);
  return text;
}

std::vector<Ip> IpsFromJs(Napi::Value v, int family, const char* what, size_t max) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array");
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > max) throw Napi::TypeError::New(v.Env(), std::string(what) + ": too many");
  std::vector<Ip> out;
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(IpFromJs(arr.Get(i), family, what));
  return out;
}

uint32_t Uint(Napi::Value v, uint32_t max, const char* what) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= max) || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an integer from 0 to " + std::to_string(max));
  return static_cast<uint32_t>(d);
}

Advert AdvertFromJs(Napi::Value v) {
  if (!v.IsObject()) throw Napi::TypeError::New(v.Env(), "advert must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Advert a;
  a.family = FamilyFromJs(o.Get("family"));
  a.vrid = static_cast<uint8_t>(Uint(o.Get("vrid"), 255, "vrid"));
  a.priority = static_cast<uint8_t>(Uint(o.Get("priority"), 255, "priority"));
  a.intervalCs = static_cast<uint16_t>(Uint(o.Get("intervalCs"), 4095, "intervalCs"));
  a.addresses = IpsFromJs(o.Get("addresses"), a.family, "addresses", kMaxAddresses);
  return a;
}

Napi::Object AdvertToJs(Napi::Env env, const Advert& a, const std::string* ifname) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", FamilyName(a.family));
  o.Set("vrid", a.vrid);
  o.Set("priority", a.priority);
  o.Set("intervalCs", a.intervalCs);
  Napi::Array addresses = Napi::Array::New(env, a.addresses.size());
  for (size_t i = 0; i < a.addresses.size(); i++) addresses.Set(static_cast<uint32_t>(i), IpText(a.addresses[i]));
  o.Set("addresses", addresses);
  o.Set("source", IpText(a.source));
  if (ifname) o.Set("interface", *ifname);
  return o;
}

std::chrono::steady_clock::time_point DeadlineArg(Napi::Value v) {
  double ms = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(ms >= 1 && ms <= 2147483647.0))
    throw Napi::TypeError::New(v.Env(), "timeout must be a number of milliseconds from 1 to 2^31-1");
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(ms));
}

std::string NsPathArg(Napi::Value v) {
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  if (v.IsNull() || v.IsUndefined()) return "";
  throw Napi::TypeError::New(v.Env(), "netns path must be a string or null");
}

std::string IfnameArg(Napi::Value v) {
  std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::TypeError::New(v.Env(), "interface must be 1 to 15 bytes");
  return name;
}

// The open socket as the poller reads it: each datagram checked and decoded,
// an advert or the name of why it was dropped.
class VrrpSource : public ipvs::PolledSource {
 public:
  VrrpSource(std::unique_ptr<Socket> socket, std::string ifname) : socket_(std::move(socket)), ifname_(std::move(ifname)) {}
  int fd() const override { return socket_->fd(); }
  Socket& socket() { return *socket_; }
  bool ReadOne(Napi::Env env, Napi::Value* out) override {
    Advert advert;
    Drop drop = Drop::kNone;
    int err = 0;
    Socket::Read r = socket_->Receive(&advert, &drop, &err);
    if (r == Socket::Read::kEmpty || r == Socket::Read::kError) return false;  // an error (ENOMEM, ...) is the kernel's to clear
    *out = r == Socket::Read::kAdvert ? Napi::Value(AdvertToJs(env, advert, &ifname_)) : Napi::Value(Napi::String::New(env, DropName(drop)));
    return true;
  }

 private:
  std::unique_ptr<Socket> socket_;
  std::string ifname_;
};

class VrrpSocketJs : public ipvs::PolledObject<VrrpSocketJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    auto methods = PollerMethods();
    methods.push_back(InstanceMethod<&VrrpSocketJs::Open>("open"));
    methods.push_back(InstanceMethod<&VrrpSocketJs::Send>("send"));
    methods.push_back(InstanceMethod<&VrrpSocketJs::Stats>("stats"));
    methods.push_back(InstanceMethod<&VrrpSocketJs::Drain>("drain"));
    return DefineClass(env, "VrrpSocket", methods);
  }
  explicit VrrpSocketJs(const Napi::CallbackInfo& info) : ipvs::PolledObject<VrrpSocketJs>(info) {}
  ~VrrpSocketJs() override { Shutdown(); }

  // On the JS thread when the open worker has finished: starts watching the socket.
  Outcome Attach(std::unique_ptr<Socket> socket, const std::string& ifname, Napi::Function listener) {
    auto source = std::make_unique<VrrpSource>(std::move(socket), ifname);
    VrrpSource* s = source.get();
    ipvs::FdPoller* p = nullptr;
    // When the poller closes (close(), teardown), keep its counters so stats() still answers.
    Outcome o = ipvs::FdPoller::Start(Env(), std::move(source), listener, [this, s]() {
      last_ = s->socket().stats();
      poller_ = nullptr;
      socket_ = nullptr;
    }, "watching the VRRP socket", &p);
    if (!o.ok()) return o;
    poller_ = p;
    socket_ = &s->socket();
    return Outcome::Ok();
  }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // Reads the datagrams waiting now and calls the listener with each, before returning.
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    if (poller_) poller_->ReadBatch();
    return info.Env().Undefined();
  }

  Socket* socket_ = nullptr;  // the poller's, while it is open
  SocketStats last_;  // the counters at close, so stats() still answers
};

class OpenWorker : public ipvs::PromiseWorker {
 public:
  OpenWorker(VrrpSocketJs* target, SocketOptions options, std::chrono::steady_clock::time_point deadline, Napi::Function listener)
      : PromiseWorker(target->Value(), "ipvs:vrrpOpen"), target_(target), options_(std::move(options)), deadline_(deadline),
        listener_(Napi::Persistent(listener)) {}

 protected:
  Outcome Run() override {
    Outcome o = Socket::Open(options_, deadline_, &socket_);
    if (o.ok()) source_ = socket_->source();
    return o;
  }
  // Resolves with the address the adverts leave from (the pseudo-header's source).
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (outcome_.ok()) {
      if (target_->closed()) outcome_ = Outcome::Fail(ECANCELED, "the VRRP socket was closed while opening");
      else outcome_ = target_->Attach(std::move(socket_), options_.ifname, listener_.Value());
    }
    listener_.Reset();
    if (!outcome_.ok()) {
      Reject(outcome_);
      return;
    }
    Napi::Object o = Napi::Object::New(Env());
    o.Set("source", IpText(source_));
    deferred_.Resolve(o);
  }

 private:
  VrrpSocketJs* target_;  // kept alive by the worker's reference to its JS object
  SocketOptions options_;
  std::chrono::steady_clock::time_point deadline_;
  Napi::FunctionReference listener_;
  std::unique_ptr<Socket> socket_;
  Ip source_;
};

// open({ family, interface, netns?, peers?, source? }, timeoutMs, listener) => Promise<{ source }>
Napi::Value VrrpSocketJs::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed()) throw Napi::Error::New(env, "the VRRP socket is closed");
  if (opening_) throw Napi::Error::New(env, "open() may be called once per VRRP socket");
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  SocketOptions options;
  options.family = FamilyFromJs(o.Get("family"));
  options.ifname = IfnameArg(o.Get("interface"));
  options.nsPath = NsPathArg(o.Get("netns"));
  if (!o.Get("peers").IsUndefined()) options.peers = IpsFromJs(o.Get("peers"), options.family, "peers", 1024);
  if (!o.Get("source").IsUndefined()) options.source = IpFromJs(o.Get("source"), options.family, "source");
  auto deadline = DeadlineArg(info[1]);
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "listener must be a function");
  opening_ = true;
  auto* worker = new OpenWorker(this, std::move(options), deadline, info[2].As<Napi::Function>());
  worker->Queue();
  return worker->Promise();
}

// send(advert) => Promise<void>: the non-blocking sendmsg runs now, on this thread (no
// thread-pool queue to wait in); the promise settles with its result.
Napi::Value VrrpSocketJs::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Advert advert = AdvertFromJs(info[0]);
  auto deferred = Napi::Promise::Deferred::New(env);
  Outcome o = socket_ ? socket_->Send(advert) : Outcome::Fail(EBADF, "sending on a VRRP socket that is not open");
  if (o.ok()) deferred.Resolve(env.Undefined());
  else deferred.Reject(ipvs::OutcomeToJs(env, o).Value());
  return deferred.Promise();
}

Napi::Value VrrpSocketJs::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (socket_) last_ = socket_->stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("received", static_cast<double>(last_.received));
  o.Set("sent", static_cast<double>(last_.sent));
  Napi::Object dropped = Napi::Object::New(env);
  for (size_t i = 1; i < kDropKinds; i++) dropped.Set(DropName(static_cast<Drop>(i)), static_cast<double>(last_.dropped[i]));
  o.Set("dropped", dropped);
  return o;
}

class AnnounceWorker : public ipvs::PromiseWorker {
 public:
  AnnounceWorker(Napi::Object receiver, std::string nsPath, std::string ifname, std::vector<Ip> addresses, bool router,
                 std::chrono::steady_clock::time_point deadline)
      : PromiseWorker(receiver, "ipvs:vrrpAnnounce"), nsPath_(std::move(nsPath)), ifname_(std::move(ifname)),
        addresses_(std::move(addresses)), router_(router), deadline_(deadline) {}

 protected:
  Outcome Run() override { return Announce(nsPath_, ifname_, addresses_, router_, deadline_, &sent_); }
  Napi::Value Result() override { return Napi::Number::New(Env(), sent_); }

 private:
  std::string nsPath_, ifname_;
  std::vector<Ip> addresses_;
  bool router_;
  std::chrono::steady_clock::time_point deadline_;
  int sent_ = 0;
};

// vrrpAnnounce(nsPath | null, interface, addresses[], router, timeoutMs) => Promise<frames sent>
Napi::Value AnnounceJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string nsPath = NsPathArg(info[0]);
  std::string ifname = IfnameArg(info[1]);
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, "addresses must be an array");
  Napi::Array arr = info[2].As<Napi::Array>();
  if (arr.Length() > 4096) throw Napi::TypeError::New(env, "addresses: too many");
  std::vector<Ip> addresses;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    std::string text = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    addresses.push_back(IpFromJs(v, text.find(':') == std::string::npos ? AF_INET : AF_INET6, "addresses[]"));
  }
  bool router = info[3].ToBoolean();
  auto deadline = DeadlineArg(info[4]);
  auto* worker = new AnnounceWorker(Napi::Object::New(env), nsPath, ifname, std::move(addresses), router, deadline);
  worker->Queue();
  return worker->Promise();
}

// Codec hooks for the tests: the exact code the sockets run.
Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
  Advert a = AdvertFromJs(info[0]);
  Ip src = IpFromJs(info[1], a.family, "source"), dst = IpFromJs(info[2], a.family, "destination");
  std::vector<uint8_t> out;
  std::string err;
  if (!EncodeAdvert(a, src, dst, &out, &err)) throw Napi::TypeError::New(info.Env(), err);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), out.data(), out.size());
}

// The decoders read from an exact-size copy: a test buffer's slack cannot hide an overread.
Napi::Value DecodeResult(Napi::Env env, Drop drop, const Advert& a) {
  if (drop != Drop::kNone) return Napi::String::New(env, DropName(drop));
  return AdvertToJs(env, a, nullptr);
}

std::vector<uint8_t> BytesArg(Napi::Value v) {
  if (!v.IsBuffer()) throw Napi::TypeError::New(v.Env(), "expected a Buffer");
  auto b = v.As<Napi::Buffer<uint8_t>>();
  return std::vector<uint8_t>(b.Data(), b.Data() + b.Length());
}

Napi::Value DecodeIpv4Js(const Napi::CallbackInfo& info) {
  std::vector<uint8_t> bytes = BytesArg(info[0]);
  Advert a;
  return DecodeResult(info.Env(), DecodeIpv4(bytes.data(), bytes.size(), &a), a);
}

// decodeIpv6(message, source, destination, hopLimit)
Napi::Value DecodeIpv6Js(const Napi::CallbackInfo& info) {
  std::vector<uint8_t> bytes = BytesArg(info[0]);
  Ip src = IpFromJs(info[1], AF_INET6, "source"), dst = IpFromJs(info[2], AF_INET6, "destination");
  int hop = static_cast<int>(Uint(info[3], 255, "hopLimit"));
  Advert a;
  return DecodeResult(info.Env(), DecodeIpv6(bytes.data(), bytes.size(), src, dst, hop, &a), a);
}

void MacArg(Napi::Value v, uint8_t mac[6]) {
  std::vector<uint8_t> b = BytesArg(v);
  if (b.size() != 6) throw Napi::TypeError::New(v.Env(), "mac must be 6 bytes");
  memcpy(mac, b.data(), 6);
}

Napi::Value GratuitousArpJs(const Napi::CallbackInfo& info) {
  uint8_t mac[6];
  MacArg(info[0], mac);
  Ip ip = IpFromJs(info[1], AF_INET, "address");
  std::vector<uint8_t> f = GratuitousArp(mac, ip.bytes);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), f.data(), f.size());
}

Napi::Value UnsolicitedNaJs(const Napi::CallbackInfo& info) {
  uint8_t mac[6];
  MacArg(info[0], mac);
  Ip ip = IpFromJs(info[1], AF_INET6, "address");
  std::vector<uint8_t> f = UnsolicitedNa(mac, ip.bytes, info[2].ToBoolean());
  return Napi::Buffer<uint8_t>::Copy(info.Env(), f.data(), f.size());
}

}  // namespace

void RegisterVrrp(Napi::Env env, Napi::Object exports) {
  exports.Set("VrrpSocket", VrrpSocketJs::Define(env));
  exports.Set("vrrpAnnounce", Napi::Function::New(env, AnnounceJs, "vrrpAnnounce"));
  Napi::Object codec = Napi::Object::New(env);
  codec.Set("encode", Napi::Function::New(env, EncodeJs, "encode"));
  codec.Set("decodeIpv4", Napi::Function::New(env, DecodeIpv4Js, "decodeIpv4"));
  codec.Set("decodeIpv6", Napi::Function::New(env, DecodeIpv6Js, "decodeIpv6"));
  codec.Set("gratuitousArp", Napi::Function::New(env, GratuitousArpJs, "gratuitousArp"));
  codec.Set("unsolicitedNa", Napi::Function::New(env, UnsolicitedNaJs, "unsolicitedNa"));
  exports.Set("vrrpCodec", codec);
}

}  // namespace vrrp
