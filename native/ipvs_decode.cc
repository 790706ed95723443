// Reply decoding. libnl validates every attribute against the policies below
// (minimum lengths, NUL-terminated strings) before we read it; attributes a
// newer kernel adds above our maximum type are skipped by nla_parse.
#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <cerrno>
#include <cstring>

#include "ipvs_message.h"

namespace ipvs {
namespace {

struct Policies {
  nla_policy cmd[IPVS_CMD_ATTR_MAX + 1] = {};
  nla_policy svc[IPVS_SVC_ATTR_MAX + 1] = {};
  nla_policy dest[IPVS_DEST_ATTR_MAX + 1] = {};
  nla_policy daemon[IPVS_DAEMON_ATTR_MAX + 1] = {};
  nla_policy stats[IPVS_STATS_ATTR_MAX + 1] = {};
  nla_policy stats64[IPVS_STATS_ATTR_MAX + 1] = {};
  nla_policy info[IPVS_INFO_ATTR_MAX + 1] = {};

  static nla_policy Of(uint16_t type, uint16_t minlen = 0, uint16_t maxlen = 0) {
    nla_policy p = {};
    p.type = type;
    p.minlen = minlen;
    p.maxlen = maxlen;
    return p;
  }

  Policies() {
    cmd[IPVS_CMD_ATTR_SERVICE] = Of(NLA_NESTED);
    cmd[IPVS_CMD_ATTR_DEST] = Of(NLA_NESTED);
    cmd[IPVS_CMD_ATTR_DAEMON] = Of(NLA_NESTED);
    cmd[IPVS_CMD_ATTR_TIMEOUT_TCP] = Of(NLA_U32);
    cmd[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] = Of(NLA_U32);
    cmd[IPVS_CMD_ATTR_TIMEOUT_UDP] = Of(NLA_U32);

    svc[IPVS_SVC_ATTR_AF] = Of(NLA_U16);
    svc[IPVS_SVC_ATTR_PROTOCOL] = Of(NLA_U16);
    svc[IPVS_SVC_ATTR_ADDR] = Of(NLA_UNSPEC, 4, 16);
    svc[IPVS_SVC_ATTR_PORT] = Of(NLA_U16);
    svc[IPVS_SVC_ATTR_FWMARK] = Of(NLA_U32);
    svc[IPVS_SVC_ATTR_SCHED_NAME] = Of(NLA_STRING, 0, IP_VS_SCHEDNAME_MAXLEN);
    svc[IPVS_SVC_ATTR_FLAGS] = Of(NLA_UNSPEC, sizeof(ip_vs_flags));
    svc[IPVS_SVC_ATTR_TIMEOUT] = Of(NLA_U32);
    svc[IPVS_SVC_ATTR_NETMASK] = Of(NLA_U32);
    svc[IPVS_SVC_ATTR_STATS] = Of(NLA_NESTED);
    svc[IPVS_SVC_ATTR_PE_NAME] = Of(NLA_STRING, 0, IP_VS_PENAME_MAXLEN);
    svc[IPVS_SVC_ATTR_STATS64] = Of(NLA_NESTED);

    dest[IPVS_DEST_ATTR_ADDR] = Of(NLA_UNSPEC, 4, 16);
    dest[IPVS_DEST_ATTR_PORT] = Of(NLA_U16);
    dest[IPVS_DEST_ATTR_FWD_METHOD] = Of(NLA_U32);
    dest[IPVS_DEST_ATTR_WEIGHT] = Of(NLA_U32);
    dest[IPVS_DEST_ATTR_U_THRESH] = Of(NLA_U32);
    dest[IPVS_DEST_ATTR_L_THRESH] = Of(NLA_U32);
    dest[IPVS_DEST_ATTR_ACTIVE_CONNS] = Of(NLA_U32);
    dest[IPVS_DEST_ATTR_INACT_CONNS] = Of(NLA_U32);
    dest[IPVS_DEST_ATTR_PERSIST_CONNS] = Of(NLA_U32);
    dest[IPVS_DEST_ATTR_STATS] = Of(NLA_NESTED);
    dest[IPVS_DEST_ATTR_ADDR_FAMILY] = Of(NLA_U16);
    dest[IPVS_DEST_ATTR_STATS64] = Of(NLA_NESTED);
    dest[IPVS_DEST_ATTR_TUN_TYPE] = Of(NLA_U8);
    dest[IPVS_DEST_ATTR_TUN_PORT] = Of(NLA_U16);
    dest[IPVS_DEST_ATTR_TUN_FLAGS] = Of(NLA_U16);

    daemon[IPVS_DAEMON_ATTR_STATE] = Of(NLA_U32);
    daemon[IPVS_DAEMON_ATTR_MCAST_IFN] = Of(NLA_STRING, 0, IP_VS_IFNAME_MAXLEN);
    daemon[IPVS_DAEMON_ATTR_SYNC_ID] = Of(NLA_U32);
    daemon[IPVS_DAEMON_ATTR_SYNC_MAXLEN] = Of(NLA_U16);
    daemon[IPVS_DAEMON_ATTR_MCAST_GROUP] = Of(NLA_UNSPEC, 4);
    daemon[IPVS_DAEMON_ATTR_MCAST_GROUP6] = Of(NLA_UNSPEC, 16);
    daemon[IPVS_DAEMON_ATTR_MCAST_PORT] = Of(NLA_U16);
    daemon[IPVS_DAEMON_ATTR_MCAST_TTL] = Of(NLA_U8);

    // The 32-bit nest mixes widths: bytes are 64-bit, the rest 32-bit.
    for (int t = IPVS_STATS_ATTR_CONNS; t <= IPVS_STATS_ATTR_OUTBPS; t++) {
      stats[t] = Of(NLA_U32);
      stats64[t] = Of(NLA_U64);
    }
    stats[IPVS_STATS_ATTR_INBYTES] = Of(NLA_U64);
    stats[IPVS_STATS_ATTR_OUTBYTES] = Of(NLA_U64);

    info[IPVS_INFO_ATTR_VERSION] = Of(NLA_U32);
    info[IPVS_INFO_ATTR_CONN_TAB_SIZE] = Of(NLA_U32);
  }
};

const Policies& P() {
  static const Policies policies;
  return policies;
}

// Width-checked readers: the policy already guarantees the minimum length,
// these keep reads safe even if a policy entry is ever loosened.
uint64_t ReadUnsigned(const nlattr* a) {
  if (!a) return 0;
  switch (nla_len(a)) {
    case 1: return nla_get_u8(const_cast<nlattr*>(a));
    case 2: return nla_get_u16(const_cast<nlattr*>(a));
    case 4: return nla_get_u32(const_cast<nlattr*>(a));
    default: return nla_len(a) >= 8 ? nla_get_u64(const_cast<nlattr*>(a)) : 0;
  }
}

std::string ReadString(const nlattr* a) {
  if (!a) return std::string();
  const char* data = static_cast<const char*>(nla_data(a));
  return std::string(data, strnlen(data, nla_len(a)));
}

bool ReadAddress(const nlattr* a, uint16_t family, Address* out) {
  *out = Address();
  out->family = family;
  size_t need = family == AF_INET6 ? 16 : 4;
  if (!a || static_cast<size_t>(nla_len(a)) < need) return false;
  memcpy(out->bytes, nla_data(a), need);
  return true;
}

uint16_t ReadPort(const nlattr* a) {
  return ntohs(static_cast<uint16_t>(ReadUnsigned(a)));
}

int ParseNest(nlattr** tb, int max, nlattr* nest, const nla_policy* policy) {
  return nla_parse_nested(tb, max, nest, const_cast<nla_policy*>(policy)) < 0 ? -EPROTO : 0;
}

int DecodeStats(nlattr* const* tb, int nest32, int nest64, Stats* out, bool* has) {
  nlattr* st[IPVS_STATS_ATTR_MAX + 1];
  bool wide = tb[nest64] != nullptr;
  nlattr* nest = wide ? tb[nest64] : tb[nest32];
  if (!nest) return 0;
  if (ParseNest(st, IPVS_STATS_ATTR_MAX, nest, wide ? P().stats64 : P().stats)) return -EPROTO;
  out->conns = ReadUnsigned(st[IPVS_STATS_ATTR_CONNS]);
  out->inPackets = ReadUnsigned(st[IPVS_STATS_ATTR_INPKTS]);
  out->outPackets = ReadUnsigned(st[IPVS_STATS_ATTR_OUTPKTS]);
  out->inBytes = ReadUnsigned(st[IPVS_STATS_ATTR_INBYTES]);
  out->outBytes = ReadUnsigned(st[IPVS_STATS_ATTR_OUTBYTES]);
  out->cps = ReadUnsigned(st[IPVS_STATS_ATTR_CPS]);
  out->inPps = ReadUnsigned(st[IPVS_STATS_ATTR_INPPS]);
  out->outPps = ReadUnsigned(st[IPVS_STATS_ATTR_OUTPPS]);
  out->inBps = ReadUnsigned(st[IPVS_STATS_ATTR_INBPS]);
  out->outBps = ReadUnsigned(st[IPVS_STATS_ATTR_OUTBPS]);
  *has = true;
  return 0;
}

int DecodeService(nlattr* nest, Service* out, bool withStats) {
  nlattr* tb[IPVS_SVC_ATTR_MAX + 1];
  if (ParseNest(tb, IPVS_SVC_ATTR_MAX, nest, P().svc)) return -EPROTO;
  if (!tb[IPVS_SVC_ATTR_AF]) return -EPROTO;
  ServiceKey& key = out->key;
  key.family = static_cast<uint16_t>(ReadUnsigned(tb[IPVS_SVC_ATTR_AF]));
  if (key.family != AF_INET && key.family != AF_INET6) return -EPROTO;
  key.address.family = key.family;
  if (tb[IPVS_SVC_ATTR_FWMARK]) {
    key.fwmark = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_SVC_ATTR_FWMARK]));
  } else {
    if (!tb[IPVS_SVC_ATTR_PROTOCOL] || !tb[IPVS_SVC_ATTR_PORT]) return -EPROTO;
    key.protocol = static_cast<uint16_t>(ReadUnsigned(tb[IPVS_SVC_ATTR_PROTOCOL]));
    key.port = ReadPort(tb[IPVS_SVC_ATTR_PORT]);
    if (!ReadAddress(tb[IPVS_SVC_ATTR_ADDR], key.family, &key.address)) return -EPROTO;
  }
  out->scheduler = ReadString(tb[IPVS_SVC_ATTR_SCHED_NAME]);
  out->persistenceEngine = ReadString(tb[IPVS_SVC_ATTR_PE_NAME]);
  if (tb[IPVS_SVC_ATTR_FLAGS]) {
    ip_vs_flags flags;
    memcpy(&flags, nla_data(tb[IPVS_SVC_ATTR_FLAGS]), sizeof(flags));
    out->flags = flags.flags;
    out->flagsMask = flags.mask;
  }
  out->timeout = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_SVC_ATTR_TIMEOUT]));
  uint32_t netmask = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_SVC_ATTR_NETMASK]));
  out->netmask = key.family == AF_INET6 ? netmask : ntohl(netmask);
  if (!withStats) return 0;
  return DecodeStats(tb, IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64, &out->stats, &out->hasStats);
}

int DecodeDestination(nlattr* nest, Destination* out, bool withStats) {
  nlattr* tb[IPVS_DEST_ATTR_MAX + 1];
  if (ParseNest(tb, IPVS_DEST_ATTR_MAX, nest, P().dest)) return -EPROTO;
  if (!tb[IPVS_DEST_ATTR_ADDR_FAMILY] || !tb[IPVS_DEST_ATTR_PORT]) return -EPROTO;
  uint16_t family = static_cast<uint16_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_ADDR_FAMILY]));
  if (family != AF_INET && family != AF_INET6) return -EPROTO;
  if (!ReadAddress(tb[IPVS_DEST_ATTR_ADDR], family, &out->address)) return -EPROTO;
  out->port = ReadPort(tb[IPVS_DEST_ATTR_PORT]);
  out->forwarding = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_FWD_METHOD])) &
                    IP_VS_CONN_F_FWD_MASK;
  out->weight = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_WEIGHT]));
  out->upperThreshold = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_U_THRESH]));
  out->lowerThreshold = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_L_THRESH]));
  out->activeConns = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_ACTIVE_CONNS]));
  out->inactiveConns = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_INACT_CONNS]));
  out->persistentConns = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_PERSIST_CONNS]));
  out->hasTunnel = tb[IPVS_DEST_ATTR_TUN_TYPE] != nullptr;
  out->tunnelType = static_cast<uint8_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_TUN_TYPE]));
  out->tunnelPort = ReadPort(tb[IPVS_DEST_ATTR_TUN_PORT]);
  out->tunnelFlags = static_cast<uint16_t>(ReadUnsigned(tb[IPVS_DEST_ATTR_TUN_FLAGS]));
  if (!withStats) return 0;
  return DecodeStats(tb, IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_STATS64, &out->stats,
                     &out->hasStats);
}

int DecodeDaemon(nlattr* nest, Daemon* out) {
  nlattr* tb[IPVS_DAEMON_ATTR_MAX + 1];
  if (ParseNest(tb, IPVS_DAEMON_ATTR_MAX, nest, P().daemon)) return -EPROTO;
  if (!tb[IPVS_DAEMON_ATTR_STATE]) return -EPROTO;
  out->state = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DAEMON_ATTR_STATE]));
  out->interface = ReadString(tb[IPVS_DAEMON_ATTR_MCAST_IFN]);
  out->syncId = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_DAEMON_ATTR_SYNC_ID]));
  out->hasMaxLength = tb[IPVS_DAEMON_ATTR_SYNC_MAXLEN] != nullptr;
  out->maxLength = static_cast<uint16_t>(ReadUnsigned(tb[IPVS_DAEMON_ATTR_SYNC_MAXLEN]));
  if (tb[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
    out->hasGroup = ReadAddress(tb[IPVS_DAEMON_ATTR_MCAST_GROUP6], AF_INET6, &out->group);
  } else if (tb[IPVS_DAEMON_ATTR_MCAST_GROUP]) {
    out->hasGroup = ReadAddress(tb[IPVS_DAEMON_ATTR_MCAST_GROUP], AF_INET, &out->group);
  }
  out->hasPort = tb[IPVS_DAEMON_ATTR_MCAST_PORT] != nullptr;
  out->port = static_cast<uint16_t>(ReadUnsigned(tb[IPVS_DAEMON_ATTR_MCAST_PORT]));
  out->hasTtl = tb[IPVS_DAEMON_ATTR_MCAST_TTL] != nullptr;
  out->ttl = static_cast<uint8_t>(ReadUnsigned(tb[IPVS_DAEMON_ATTR_MCAST_TTL]));
  return 0;
}

}  // namespace

int DecodeRecord(const nlmsghdr* cnlh, Record* out, bool withStats) {
  nlmsghdr* nlh = const_cast<nlmsghdr*>(cnlh);
  if (!genlmsg_valid_hdr(nlh, 0)) return -EPROTO;
  *out = Record();
  out->cmd = static_cast<genlmsghdr*>(nlmsg_data(nlh))->cmd;

  // GET_INFO's reply reuses attribute numbers 1 and 2 at the top level with
  // another meaning, so the policy depends on the command.
  if (out->cmd == IPVS_CMD_SET_INFO) {
    nlattr* tb[IPVS_INFO_ATTR_MAX + 1];
    if (genlmsg_parse(nlh, 0, tb, IPVS_INFO_ATTR_MAX, const_cast<nla_policy*>(P().info)) < 0)
      return -EPROTO;
    out->hasInfo = true;
    out->info.version = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_INFO_ATTR_VERSION]));
    out->info.connTableSize = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]));
    return 0;
  }

  nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
  if (genlmsg_parse(nlh, 0, tb, IPVS_CMD_ATTR_MAX, const_cast<nla_policy*>(P().cmd)) < 0)
    return -EPROTO;
  int rc = 0;
  if (tb[IPVS_CMD_ATTR_SERVICE]) {
    out->hasService = true;
    rc = rc ?: DecodeService(tb[IPVS_CMD_ATTR_SERVICE], &out->service, withStats);
  }
  if (tb[IPVS_CMD_ATTR_DEST]) {
    out->hasDestination = true;
    rc = rc ?: DecodeDestination(tb[IPVS_CMD_ATTR_DEST], &out->destination, withStats);
  }
  if (tb[IPVS_CMD_ATTR_DAEMON]) {
    out->hasDaemon = true;
    rc = rc ?: DecodeDaemon(tb[IPVS_CMD_ATTR_DAEMON], &out->daemon);
  }
  if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP] || tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] ||
      tb[IPVS_CMD_ATTR_TIMEOUT_UDP]) {
    out->hasTimeouts = true;
    out->timeouts.tcp = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]));
    out->timeouts.tcpFin = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]));
    out->timeouts.udp = static_cast<uint32_t>(ReadUnsigned(tb[IPVS_CMD_ATTR_TIMEOUT_UDP]));
  }
  return rc;
}

}  // namespace ipvs
