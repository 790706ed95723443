#include "host_net.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "ipvs_message.h"
#include "netns.h"
#include "promise_worker.h"
#include "rtnl.h"

namespace ipvs {
namespace {

enum class Op { kLink, kLinkUp, kLinkDown, kAddAddress, kDeleteAddress, kListAddresses, kAddDefaultRoute, kDeleteDefaultRoute, kDefaultRoutes };

class HostNetWorker : public PromiseWorker {
 public:
  HostNetWorker(Napi::Object receiver, std::string nsPath, Op op, std::string ifname, InterfaceAddress addr, Route route,
                RtnlDeadline deadline)
      : PromiseWorker(receiver, "ipvs:hostNet"), nsPath_(std::move(nsPath)), op_(op), ifname_(std::move(ifname)),
        addr_(addr), route_(std::move(route)), deadline_(deadline) {}

 protected:
  Outcome Run() override {
    if (nsPath_.empty()) return Do();
    int nsFd = -1;
    Outcome o = OpenNetnsFile(nsPath_, &nsFd);
    if (!o.ok()) return o;
    o = RunInNetns(nsFd, [this]() { return Do(); });
    close(nsFd);
    return o;
  }

  Napi::Value Result() override {
    Napi::Env env = Env();
    if (op_ == Op::kLink) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("index", link_.index);
      o.Set("up", link_.up);
      o.Set("running", link_.running);
      return o;
    }
    if (op_ == Op::kDefaultRoutes) {
      Napi::Array routes = Napi::Array::New(env, routes_.size());
      for (size_t i = 0; i < routes_.size(); i++) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("gateway", routes_[i].hasGateway ? Napi::Value(Napi::String::New(env, FormatAddress(routes_[i].gateway))) : env.Null());
        o.Set("interface", routes_[i].ifname.empty() ? env.Null() : Napi::Value(Napi::String::New(env, routes_[i].ifname)));
        routes.Set(static_cast<uint32_t>(i), o);
      }
      return routes;
    }
    if (op_ != Op::kListAddresses) return env.Undefined();
    Napi::Array out = Napi::Array::New(env, list_.size());
    for (size_t i = 0; i < list_.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("address", FormatAddress(list_[i].address));
      o.Set("prefix", list_[i].prefix);
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

 private:
  Outcome Do() {
    switch (op_) {
      case Op::kLink: return GetLink(ifname_, &link_, deadline_);
      case Op::kLinkUp: return SetLinkUp(ifname_, true, deadline_);
      case Op::kLinkDown: return SetLinkUp(ifname_, false, deadline_);
      case Op::kAddAddress: return ChangeAddress(true, ifname_, addr_, deadline_);
      case Op::kDeleteAddress: return ChangeAddress(false, ifname_, addr_, deadline_);
      case Op::kListAddresses: return ListAddresses(ifname_, &list_, deadline_);
      case Op::kAddDefaultRoute: return ChangeRoute(true, route_, deadline_);
      case Op::kDeleteDefaultRoute: return ChangeRoute(false, route_, deadline_);
      case Op::kDefaultRoutes: return ListDefaultRoutes(route_.family, &routes_, deadline_);
    }
    return Outcome::Fail(EINVAL, "unknown operation");
  }

  std::string nsPath_;
  Op op_;
  std::string ifname_;
  InterfaceAddress addr_;
  Route route_;
  RtnlDeadline deadline_;  // from the JS call: a thread-pool wait counts against it too
  std::vector<Route> routes_;
  LinkState link_;
  std::vector<InterfaceAddress> list_;
};

Op OpFromJs(Napi::Env env, const std::string& name) {
  if (name == "link") return Op::kLink;
  if (name == "linkUp") return Op::kLinkUp;
  if (name == "linkDown") return Op::kLinkDown;
  if (name == "addAddress") return Op::kAddAddress;
  if (name == "deleteAddress") return Op::kDeleteAddress;
  if (name == "listAddresses") return Op::kListAddresses;
  if (name == "addDefaultRoute") return Op::kAddDefaultRoute;
  if (name == "deleteDefaultRoute") return Op::kDeleteDefaultRoute;
  if (name == "defaultRoutes") return Op::kDefaultRoutes;
  throw Napi::TypeError::New(env, "hostNet: unknown op " + name);
}

}  // namespace

Napi::Value HostNetJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string nsPath;
  if (info[0].IsString()) nsPath = info[0].As<Napi::String>().Utf8Value();
  else if (!info[0].IsNull() && !info[0].IsUndefined()) throw Napi::TypeError::New(env, "hostNet: nsPath must be a string or null");
  if (!info[1].IsObject()) throw Napi::TypeError::New(env, "hostNet: request must be an object");
  Napi::Object req = info[1].As<Napi::Object>();
  if (!req.Get("op").IsString()) throw Napi::TypeError::New(env, "hostNet: op must be a string");
  Op op = OpFromJs(env, req.Get("op").As<Napi::String>().Utf8Value());
  bool routeOp = op == Op::kAddDefaultRoute || op == Op::kDeleteDefaultRoute || op == Op::kDefaultRoutes;
  std::string ifname;
  if (req.Get("interface").IsString()) ifname = req.Get("interface").As<Napi::String>().Utf8Value();
  else if (!routeOp) throw Napi::TypeError::New(env, "hostNet: interface must be a string");
  if ((!routeOp || !ifname.empty()) && (ifname.empty() || ifname.size() > 15))
    throw Napi::TypeError::New(env, "hostNet: interface must be 1 to 15 bytes");
  Route route;
  if (routeOp) {
    double family = req.Get("family").IsNumber() ? req.Get("family").As<Napi::Number>().DoubleValue() : 0;
    if (family != AF_INET && family != AF_INET6) throw Napi::TypeError::New(env, "hostNet: family must be AF_INET or AF_INET6");
    route.family = static_cast<uint16_t>(family);
    route.ifname = ifname;
    if (req.Get("gateway").IsString()) {
      std::string text = req.Get("gateway").As<Napi::String>().Utf8Value();
      if (!ParseAddress(route.family, text, &route.gateway)) throw Napi::TypeError::New(env, "hostNet: bad gateway " + text);
      route.hasGateway = true;
    }
  }
  InterfaceAddress addr;
  if (op == Op::kAddAddress || op == Op::kDeleteAddress) {
    if (!req.Get("address").IsString() || !req.Get("prefix").IsNumber())
      throw Napi::TypeError::New(env, "hostNet: address (string) and prefix (number) are required");
    std::string text = req.Get("address").As<Napi::String>().Utf8Value();
    uint16_t family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (!ParseAddress(family, text, &addr.address)) throw Napi::TypeError::New(env, "hostNet: bad address " + text);
    double prefix = req.Get("prefix").As<Napi::Number>().DoubleValue();
    int max = family == AF_INET6 ? 128 : 32;
    if (!(prefix >= 0 && prefix <= max)) throw Napi::TypeError::New(env, "hostNet: prefix out of range");
    addr.prefix = static_cast<int>(prefix);
    addr.noDad = req.Get("noDad").ToBoolean();
    addr.deprecated = req.Get("deprecated").ToBoolean();
  }
  double ms = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : -1;
  if (!(ms >= 1 && ms <= 2147483647.0))
    throw Napi::TypeError::New(env, "hostNet: timeout must be a number of milliseconds from 1 to 2^31-1");
  RtnlDeadline deadline = SteadyClock::now() + std::chrono::milliseconds(static_cast<int64_t>(ms));
  auto* worker = new HostNetWorker(Napi::Object::New(env), nsPath, op, ifname, addr, route, deadline);
  worker->Queue();
  return worker->Promise();
}

}  // namespace ipvs
