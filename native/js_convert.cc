#include "js_convert.h"

#include <sys/socket.h>

#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "ipvs_message.h"

namespace ipvs {
namespace {

Napi::Object ObjectField(const Napi::Object& obj, const char* name) {
  Napi::Value v = obj.Get(name);
  if (!v.IsObject()) throw Napi::TypeError::New(obj.Env(), std::string(name) + " must be an object");
  return v.As<Napi::Object>();
}

bool Has(const Napi::Object& obj, const char* name) {
  Napi::Value v = obj.Get(name);
  return !v.IsUndefined() && !v.IsNull();
}

uint32_t Unsigned(const Napi::Object& obj, const char* name, double max, bool required = true) {
  Napi::Value v = obj.Get(name);
  if (v.IsUndefined() && !required) return 0;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= 0 && d <= max && std::floor(d) == d))
    throw Napi::TypeError::New(obj.Env(), std::string(name) + " must be an integer from 0 to " +
                                              std::to_string(static_cast<uint64_t>(max)));
  return static_cast<uint32_t>(d);
}

std::string Text(const Napi::Object& obj, const char* name, size_t maxLen, bool required = true) {
  Napi::Value v = obj.Get(name);
  if (v.IsUndefined() && !required) return std::string();
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string(name) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.size() > maxLen || s.find('\0') != std::string::npos)
    throw Napi::TypeError::New(obj.Env(), std::string(name) + " must be at most " +
                                              std::to_string(maxLen) + " bytes without NUL");
  return s;
}

uint16_t Family(const Napi::Object& obj, const char* name) {
  uint32_t f = Unsigned(obj, name, 0xffff);
  if (f != AF_INET && f != AF_INET6)
    throw Napi::TypeError::New(obj.Env(), std::string(name) + " must be AF_INET or AF_INET6");
  return static_cast<uint16_t>(f);
}

// Addresses arrive as text the TS layer has already canonicalized (inet_pton
// then inet_ntop, through canonicalAddress). This second inet_pton is not a
// second validation but the conversion to the bytes the kernel takes: one
// parse of a short canonical string, which also keeps a caller of the raw
// binding from passing a non-address. Bytes from JS would cost a Buffer per
// address, and fresh pages are what bulk work pays for (docs/architecture.md).
// Table listings never come back this way: GetTable keys destination dumps
// with the dumped service records themselves.
Address AddressField(const Napi::Object& obj, const char* name, uint16_t family) {
  Address a;
  if (!ParseAddress(family, Text(obj, name, 64), &a))
    throw Napi::TypeError::New(obj.Env(), std::string(name) + " is not an address of its family");
  return a;
}

Service ServiceFromJs(const Napi::Object& o) {
  Service s;
  s.key.family = Family(o, "family");
  s.key.fwmark = Unsigned(o, "fwmark", 4294967295.0, false);
  if (s.key.fwmark == 0) {
    s.key.protocol = static_cast<uint16_t>(Unsigned(o, "protocol", 255));
    s.key.address = AddressField(o, "address", s.key.family);
    s.key.port = static_cast<uint16_t>(Unsigned(o, "port", 65535));
  }
  s.scheduler = Text(o, "scheduler", 15, false);
  s.persistenceEngine = Text(o, "persistenceEngine", 15, false);
  s.flags = Unsigned(o, "flags", 4294967295.0, false);
  s.flagsMask = Has(o, "flagsMask") ? Unsigned(o, "flagsMask", 4294967295.0) : 0xffffffff;
  s.timeout = Unsigned(o, "timeout", 4294967295.0, false);
  s.netmask = Unsigned(o, "netmask", 4294967295.0, false);
  return s;
}

Destination DestinationFromJs(const Napi::Object& o) {
  Destination d;
  d.address = AddressField(o, "address", Family(o, "family"));
  d.port = static_cast<uint16_t>(Unsigned(o, "port", 65535));
  d.forwarding = Unsigned(o, "forwarding", 7, false);
  d.weight = Unsigned(o, "weight", 2147483647.0, false);
  d.upperThreshold = Unsigned(o, "upperThreshold", 4294967295.0, false);
  d.lowerThreshold = Unsigned(o, "lowerThreshold", 4294967295.0, false);
  d.hasTunnel = Has(o, "tunnelType");
  if (d.hasTunnel) {
    d.tunnelType = static_cast<uint8_t>(Unsigned(o, "tunnelType", 255));
    d.tunnelPort = static_cast<uint16_t>(Unsigned(o, "tunnelPort", 65535, false));
    d.tunnelFlags = static_cast<uint16_t>(Unsigned(o, "tunnelFlags", 65535, false));
  }
  return d;
}

Daemon DaemonFromJs(const Napi::Object& o) {
  Daemon d;
  d.state = Unsigned(o, "state", 2);
  d.interface = Text(o, "interface", 15, false);
  d.syncId = Unsigned(o, "syncId", 255, false);
  if ((d.hasMaxLength = Has(o, "maxLength"))) d.maxLength = static_cast<uint16_t>(Unsigned(o, "maxLength", 65535));
  if ((d.hasGroup = Has(o, "group"))) {
    std::string text = Text(o, "group", 64);
    uint16_t family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (!ParseAddress(family, text, &d.group)) throw Napi::TypeError::New(o.Env(), "group is not an address");
  }
  if ((d.hasPort = Has(o, "port"))) d.port = static_cast<uint16_t>(Unsigned(o, "port", 65535));
  if ((d.hasTtl = Has(o, "ttl"))) d.ttl = static_cast<uint8_t>(Unsigned(o, "ttl", 255));
  return d;
}

Napi::Value Big(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }

// Property names as JS strings, made once per conversion: a listing sets about 600,000
// properties, and a name given as a C string is made into an (internalized) JS string on
// every Set.
#define IPVS_KEYS(X)                                                                               \
  X(conns) X(inPackets) X(outPackets) X(inBytes) X(outBytes) X(cps) X(inPps) X(outPps) X(inBps)     \
  X(outBps) X(family) X(protocol) X(fwmark) X(address) X(port) X(scheduler) X(persistenceEngine)   \
  X(flags) X(timeout) X(netmask) X(stats) X(forwarding) X(weight) X(upperThreshold)                \
  X(lowerThreshold) X(activeConns) X(inactiveConns) X(persistentConns) X(tunnelType) X(tunnelPort) \
  X(tunnelFlags) X(service) X(destinations)

struct Keys {
#define IPVS_KEY_FIELD(name) Napi::String name;
  IPVS_KEYS(IPVS_KEY_FIELD)
#undef IPVS_KEY_FIELD
  explicit Keys(Napi::Env env)
#define IPVS_KEY_INIT(name) name(Napi::String::New(env, #name)),
      : IPVS_KEYS(IPVS_KEY_INIT) unused_(0) {}
#undef IPVS_KEY_INIT
 private:
  int unused_;
};

// Address strings already made for this conversion, by bytes: a table's real servers repeat
// (the bench's 40,000 destinations have 4 addresses), and each fresh string is memory.
class Addresses {
 public:
  explicit Addresses(Napi::Env env) : env_(env) {}
  // Made in the scope the caller is in; `keep` only for values made in a scope that outlives them all.
  Napi::Value Get(const Address& a) {
    if (!shared_.empty()) {
      auto it = shared_.find(KeyOf(a));
      if (it != shared_.end()) return it->second;
    }
    return Napi::String::New(env_, FormatAddress(a));
  }
  void Keep(const Address& a) {
    if (shared_.size() < kMaxShared) shared_.emplace(KeyOf(a), Napi::String::New(env_, FormatAddress(a)));
  }
  // At most this many strings live through a whole conversion (handles of the outer scope).
  static constexpr size_t kMaxShared = 4096;

 private:
  static std::string KeyOf(const Address& a) {
    std::string k(reinterpret_cast<const char*>(&a.family), sizeof(a.family));
    return k.append(reinterpret_cast<const char*>(a.bytes), sizeof(a.bytes));
  }
  Napi::Env env_;
  std::unordered_map<std::string, Napi::Value> shared_;
};

Napi::Object StatsToJs(Napi::Env env, const Keys& k, const Stats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set(k.conns, Big(env, s.conns));
  o.Set(k.inPackets, Big(env, s.inPackets));
  o.Set(k.outPackets, Big(env, s.outPackets));
  o.Set(k.inBytes, Big(env, s.inBytes));
  o.Set(k.outBytes, Big(env, s.outBytes));
  o.Set(k.cps, Big(env, s.cps));
  o.Set(k.inPps, Big(env, s.inPps));
  o.Set(k.outPps, Big(env, s.outPps));
  o.Set(k.inBps, Big(env, s.inBps));
  o.Set(k.outBps, Big(env, s.outBps));
  return o;
}

Napi::Object ServiceToJs(Napi::Env env, const Keys& k, const Service& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set(k.family, s.key.family);
  o.Set(k.protocol, s.key.protocol);
  o.Set(k.fwmark, s.key.fwmark);
  if (s.key.fwmark == 0) {
    o.Set(k.address, FormatAddress(s.key.address));
    o.Set(k.port, s.key.port);
  }
  o.Set(k.scheduler, s.scheduler);
  o.Set(k.persistenceEngine, s.persistenceEngine);
  o.Set(k.flags, s.flags);
  o.Set(k.timeout, s.timeout);
  o.Set(k.netmask, s.netmask);
  if (s.hasStats) o.Set(k.stats, StatsToJs(env, k, s.stats));
  return o;
}

Napi::Object DestinationToJs(Napi::Env env, const Keys& k, const Destination& d, Napi::Value address) {
  Napi::Object o = Napi::Object::New(env);
  o.Set(k.family, d.address.family);
  o.Set(k.address, address);
  o.Set(k.port, d.port);
  o.Set(k.forwarding, d.forwarding);
  o.Set(k.weight, d.weight);
  o.Set(k.upperThreshold, d.upperThreshold);
  o.Set(k.lowerThreshold, d.lowerThreshold);
  o.Set(k.activeConns, d.activeConns);
  o.Set(k.inactiveConns, d.inactiveConns);
  o.Set(k.persistentConns, d.persistentConns);
  if (d.hasTunnel) {
    o.Set(k.tunnelType, d.tunnelType);
    o.Set(k.tunnelPort, d.tunnelPort);
    o.Set(k.tunnelFlags, d.tunnelFlags);
  }
  if (d.hasStats) o.Set(k.stats, StatsToJs(env, k, d.stats));
  return o;
}

Napi::Object DaemonToJs(Napi::Env env, const Daemon& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", d.state);
  o.Set("interface", d.interface);
  o.Set("syncId", d.syncId);
  if (d.hasMaxLength) o.Set("maxLength", d.maxLength);
  if (d.hasGroup) o.Set("group", FormatAddress(d.group));
  if (d.hasPort) o.Set("port", d.port);
  if (d.hasTtl) o.Set("ttl", d.ttl);
  return o;
}

}  // namespace

Request RequestFromJs(const Napi::Value& value) {
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "request must be an object");
  Napi::Object o = value.As<Napi::Object>();
  Request r;
  r.cmd = static_cast<uint8_t>(Unsigned(o, "cmd", 255));
  r.dump = o.Get("dump").ToBoolean().Value();
  if ((r.hasService = Has(o, "service"))) r.service = ServiceFromJs(ObjectField(o, "service"));
  if ((r.hasDestination = Has(o, "destination")))
    r.destination = DestinationFromJs(ObjectField(o, "destination"));
  if ((r.hasDaemon = Has(o, "daemon"))) r.daemon = DaemonFromJs(ObjectField(o, "daemon"));
  if ((r.hasTimeouts = Has(o, "timeouts"))) {
    Napi::Object t = ObjectField(o, "timeouts");
    r.timeouts.tcp = Unsigned(t, "tcp", 4294967295.0);
    r.timeouts.tcpFin = Unsigned(t, "tcpFin", 4294967295.0);
    r.timeouts.udp = Unsigned(t, "udp", 4294967295.0);
  }
  return r;
}

Napi::Object RecordToJs(Napi::Env env, const Record& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("cmd", r.cmd);
  if (r.hasService || r.hasDestination) {
    Keys k(env);
    if (r.hasService) o.Set("service", ServiceToJs(env, k, r.service));
    if (r.hasDestination)
      o.Set("destination", DestinationToJs(env, k, r.destination, Napi::String::New(env, FormatAddress(r.destination.address))));
  }
  if (r.hasDaemon) o.Set("daemon", DaemonToJs(env, r.daemon));
  if (r.hasTimeouts) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("tcp", r.timeouts.tcp);
    t.Set("tcpFin", r.timeouts.tcpFin);
    t.Set("udp", r.timeouts.udp);
    o.Set("timeouts", t);
  }
  if (r.hasInfo) {
    Napi::Object i = Napi::Object::New(env);
    i.Set("version", r.info.version);
    i.Set("connTableSize", r.info.connTableSize);
    o.Set("info", i);
  }
  return o;
}

Napi::Array TableToJs(Napi::Env env, const std::vector<TableEntry>& table) {
  Keys k(env);
  Addresses addresses(env);
  // Real-server addresses named more than once get one string for the whole conversion.
  std::unordered_map<std::string, int> seen;
  for (const TableEntry& e : table)
    for (const Destination& d : e.destinations) {
      std::string key(reinterpret_cast<const char*>(&d.address.family), sizeof(d.address.family));
      key.append(reinterpret_cast<const char*>(d.address.bytes), sizeof(d.address.bytes));
      if (++seen[key] == 2) addresses.Keep(d.address);
    }
  Napi::Array out = Napi::Array::New(env, table.size());
  for (size_t i = 0; i < table.size(); i++) {
    // A scope per service: tens of thousands of handles in one scope cost more than the conversion.
    Napi::HandleScope scope(env);
    const TableEntry& entry = table[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set(k.service, ServiceToJs(env, k, entry.service));
    Napi::Array dests = Napi::Array::New(env, entry.destinations.size());
    for (size_t j = 0; j < entry.destinations.size(); j++) {
      const Destination& d = entry.destinations[j];
      dests.Set(static_cast<uint32_t>(j), DestinationToJs(env, k, d, addresses.Get(d.address)));
    }
    o.Set(k.destinations, dests);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Object PackedTableToJs(Napi::Env env, PackedTable* packed) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Uint32Array words;
  if (packed->words.empty()) {
    words = Napi::Uint32Array::New(env, 0);
  } else {
    auto* held = new std::vector<uint32_t>(std::move(packed->words));
    Napi::ArrayBuffer buffer;
    try {
      buffer = Napi::ArrayBuffer::New(env, held->data(), held->size() * sizeof(uint32_t),
                                      [](Napi::Env, void*, std::vector<uint32_t>* h) { delete h; }, held);
    } catch (...) {
      delete held;  // never handed over: no finalizer will run
      throw;
    }
    words = Napi::Uint32Array::New(env, held->size(), buffer, 0);
  }
  Napi::Array strings = Napi::Array::New(env, packed->strings.size());
  for (size_t i = 0; i < packed->strings.size(); i++) {
    Napi::HandleScope scope(env);
    strings.Set(static_cast<uint32_t>(i), Napi::String::New(env, packed->strings[i]));
  }
  o.Set("words", words);
  o.Set("strings", strings);
  return o;
}

Napi::Error OutcomeToJs(Napi::Env env, const Outcome& outcome) {
  Napi::Error e = Napi::Error::New(env, outcome.stage + ": " + strerror(outcome.err));
  e.Set("errno", Napi::Number::New(env, outcome.err));
  e.Set("stage", Napi::String::New(env, outcome.stage));
  return e;
}

}  // namespace ipvs
