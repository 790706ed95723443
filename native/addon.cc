// Module entry: the client class, the uapi constants (checked against the TS
// enums by a test), and codec hooks that expose the real encoder and decoder
// to byte-exact unit tests without a kernel.
#include <linux/ip_vs.h>
#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "client.h"
#include "host_files.h"
#include "host_net.h"
#include "ipvs_message.h"
#include "js_convert.h"
#include "link_watch_js.h"
#include "tcp_connect_js.h"
#include "netns.h"
#include "proc_net.h"
#include "vrrp_js.h"

namespace {

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
#define IPVS_CONST(name) c.Set(#name, Napi::Number::New(env, name))
  IPVS_CONST(AF_INET);
  IPVS_CONST(AF_INET6);
  IPVS_CONST(IPPROTO_TCP);
  IPVS_CONST(IPPROTO_UDP);
  IPVS_CONST(IPPROTO_SCTP);
  IPVS_CONST(IPVS_CMD_NEW_SERVICE);
  IPVS_CONST(IPVS_CMD_SET_SERVICE);
  IPVS_CONST(IPVS_CMD_DEL_SERVICE);
  IPVS_CONST(IPVS_CMD_GET_SERVICE);
  IPVS_CONST(IPVS_CMD_NEW_DEST);
  IPVS_CONST(IPVS_CMD_SET_DEST);
  IPVS_CONST(IPVS_CMD_DEL_DEST);
  IPVS_CONST(IPVS_CMD_GET_DEST);
  IPVS_CONST(IPVS_CMD_NEW_DAEMON);
  IPVS_CONST(IPVS_CMD_DEL_DAEMON);
  IPVS_CONST(IPVS_CMD_GET_DAEMON);
  IPVS_CONST(IPVS_CMD_SET_CONFIG);
  IPVS_CONST(IPVS_CMD_GET_CONFIG);
  IPVS_CONST(IPVS_CMD_SET_INFO);
  IPVS_CONST(IPVS_CMD_GET_INFO);
  IPVS_CONST(IPVS_CMD_ZERO);
  IPVS_CONST(IPVS_CMD_FLUSH);
  IPVS_CONST(IP_VS_SVC_F_PERSISTENT);
  IPVS_CONST(IP_VS_SVC_F_HASHED);
  IPVS_CONST(IP_VS_SVC_F_ONEPACKET);
  IPVS_CONST(IP_VS_SVC_F_SCHED1);
  IPVS_CONST(IP_VS_SVC_F_SCHED2);
  IPVS_CONST(IP_VS_SVC_F_SCHED3);
  IPVS_CONST(IP_VS_CONN_F_MASQ);
  IPVS_CONST(IP_VS_CONN_F_LOCALNODE);
  IPVS_CONST(IP_VS_CONN_F_TUNNEL);
  IPVS_CONST(IP_VS_CONN_F_DROUTE);
  IPVS_CONST(IP_VS_CONN_F_BYPASS);
  IPVS_CONST(IP_VS_CONN_F_TUNNEL_TYPE_IPIP);
  IPVS_CONST(IP_VS_CONN_F_TUNNEL_TYPE_GUE);
  IPVS_CONST(IP_VS_CONN_F_TUNNEL_TYPE_GRE);
  IPVS_CONST(IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM);
  IPVS_CONST(IP_VS_TUNNEL_ENCAP_FLAG_CSUM);
  IPVS_CONST(IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM);
  IPVS_CONST(IP_VS_STATE_NONE);
  IPVS_CONST(IP_VS_STATE_MASTER);
  IPVS_CONST(IP_VS_STATE_BACKUP);
  IPVS_CONST(IP_VS_SCHEDNAME_MAXLEN);
  IPVS_CONST(IP_VS_PENAME_MAXLEN);
  IPVS_CONST(IP_VS_IFNAME_MAXLEN);
#undef IPVS_CONST
  return c;
}

// encodeRequest(request, familyId, seq) => Buffer with the netlink message.
Napi::Value EncodeRequestJs(const Napi::CallbackInfo& info) {
  ipvs::Request req = ipvs::RequestFromJs(info[0]);
  int family = info[1].As<Napi::Number>().Int32Value();
  uint32_t seq = info[2].As<Napi::Number>().Uint32Value();
  nl_msg* msg = ipvs::EncodeRequest(req, family, seq);
  if (!msg) throw Napi::Error::New(info.Env(), "could not build the message");
  nlmsghdr* hdr = nlmsg_hdr(msg);
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t*>(hdr), hdr->nlmsg_len);
  nlmsg_free(msg);
  return out;
}

// decodeRecord(buffer, withStats = true) => Record, for one netlink message;
// throws on a malformed one exactly where a kernel reply would fail with EPROTO.
Napi::Value DecodeRecordJs(const Napi::CallbackInfo& info) {
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(info.Env(), "expected a Buffer");
  Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
  // Copy into aligned memory: netlink headers are read as structs.
  std::vector<uint32_t> aligned((buf.Length() + 3) / 4 + 1, 0);
  memcpy(aligned.data(), buf.Data(), buf.Length());
  const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(aligned.data());
  if (buf.Length() < sizeof(nlmsghdr) || nlh->nlmsg_len > buf.Length() || nlh->nlmsg_len < sizeof(nlmsghdr))
    throw Napi::Error::New(info.Env(), "malformed netlink message");
  ipvs::Record record;
  bool withStats = !info[1].IsBoolean() || info[1].As<Napi::Boolean>().Value();
  if (ipvs::DecodeRecord(nlh, &record, withStats) != 0) throw Napi::Error::New(info.Env(), "malformed IPVS message");
  return ipvs::RecordToJs(info.Env(), record);
}

// canonicalAddress(text) => the address as inet_ntop prints it (what
// ipvsadm -n shows), or null when text is not an IPv4/IPv6 address.
Napi::Value CanonicalAddressJs(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) return info.Env().Null();
  std::string text = info[0].As<Napi::String>().Utf8Value();
  ipvs::Address a;
  if (ipvs::ParseAddress(AF_INET, text, &a) || ipvs::ParseAddress(AF_INET6, text, &a))
    return Napi::String::New(info.Env(), ipvs::FormatAddress(a));
  return info.Env().Null();
}

// enterNetns(path): the calling thread (the main thread, or a worker's) joins
// the network namespace; synchronous, as it is one open and one setns.
Napi::Value EnterNetnsJs(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "enterNetns(path): path must be a string");
  ipvs::Outcome o = ipvs::EnterNetns(info[0].As<Napi::String>().Utf8Value());
  if (!o.ok()) throw ipvs::OutcomeToJs(info.Env(), o);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("hostNet", Napi::Function::New(env, ipvs::HostNetJs, "hostNet"));
  exports.Set("openInNetns", Napi::Function::New(env, ipvs::OpenInNetnsJs, "openInNetns"));
  exports.Set("enterNetns", Napi::Function::New(env, EnterNetnsJs, "enterNetns"));
  exports.Set("readProcNet", Napi::Function::New(env, ipvs::ReadProcNetJs, "readProcNet"));
  exports.Set("canonicalAddress", Napi::Function::New(env, CanonicalAddressJs, "canonicalAddress"));
  exports.Set("Client", ipvs::Client::Define(env));
  exports.Set("constants", Constants(env));
  exports.Set("encodeRequest", Napi::Function::New(env, EncodeRequestJs, "encodeRequest"));
  exports.Set("decodeRecord", Napi::Function::New(env, DecodeRecordJs, "decodeRecord"));
  vrrp::RegisterVrrp(env, exports);
  ipvs::RegisterLinkWatch(env, exports);
  ipvs::RegisterTcpConnects(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(ipvs, Init)
