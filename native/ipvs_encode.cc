// Request encoding: which attributes each IPVS command carries.
#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "ipvs_message.h"

namespace ipvs {
namespace {

bool IsFullService(uint8_t cmd) {
  return cmd == IPVS_CMD_NEW_SERVICE || cmd == IPVS_CMD_SET_SERVICE;
}

bool IsFullDestination(uint8_t cmd) {
  return cmd == IPVS_CMD_NEW_DEST || cmd == IPVS_CMD_SET_DEST;
}

// The kernel's netmask attribute is raw 4 bytes: a network-order mask for
// IPv4, a plain prefix length for IPv6.
uint32_t WireNetmask(const ServiceKey& key, uint32_t netmask) {
  return key.family == AF_INET6 ? netmask : htonl(netmask);
}

int PutService(nl_msg* msg, uint8_t cmd, const Service& svc) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
  if (!nest) return -1;
  const ServiceKey& key = svc.key;
  int rc = nla_put_u16(msg, IPVS_SVC_ATTR_AF, key.family);
  if (key.fwmark != 0) {
    rc = rc ?: nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, key.fwmark);
  } else {
    rc = rc ?: nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, key.protocol);
    rc = rc ?: nla_put(msg, IPVS_SVC_ATTR_ADDR, sizeof(key.address.bytes), key.address.bytes);
    rc = rc ?: nla_put_u16(msg, IPVS_SVC_ATTR_PORT, htons(key.port));
  }
  if (IsFullService(cmd)) {
    ip_vs_flags flags = {svc.flags, svc.flagsMask};
    rc = rc ?: nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler.c_str());
    if (!svc.persistenceEngine.empty())
      rc = rc ?: nla_put_string(msg, IPVS_SVC_ATTR_PE_NAME, svc.persistenceEngine.c_str());
    rc = rc ?: nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof(flags), &flags);
    rc = rc ?: nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, svc.timeout);
    rc = rc ?: nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK, WireNetmask(key, svc.netmask));
  }
  if (rc) return rc;
  return nla_nest_end(msg, nest);
}

int PutDestination(nl_msg* msg, uint8_t cmd, const Destination& dst) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_DEST);
  if (!nest) return -1;
  int rc = nla_put(msg, IPVS_DEST_ATTR_ADDR, sizeof(dst.address.bytes), dst.address.bytes);
  rc = rc ?: nla_put_u16(msg, IPVS_DEST_ATTR_PORT, htons(dst.port));
  rc = rc ?: nla_put_u16(msg, IPVS_DEST_ATTR_ADDR_FAMILY, dst.address.family);
  if (IsFullDestination(cmd)) {
    rc = rc ?: nla_put_u32(msg, IPVS_DEST_ATTR_FWD_METHOD, dst.forwarding);
    rc = rc ?: nla_put_u32(msg, IPVS_DEST_ATTR_WEIGHT, dst.weight);
    rc = rc ?: nla_put_u32(msg, IPVS_DEST_ATTR_U_THRESH, dst.upperThreshold);
    rc = rc ?: nla_put_u32(msg, IPVS_DEST_ATTR_L_THRESH, dst.lowerThreshold);
    if (dst.hasTunnel) {
      rc = rc ?: nla_put_u8(msg, IPVS_DEST_ATTR_TUN_TYPE, dst.tunnelType);
      rc = rc ?: nla_put_u16(msg, IPVS_DEST_ATTR_TUN_PORT, htons(dst.tunnelPort));
      rc = rc ?: nla_put_u16(msg, IPVS_DEST_ATTR_TUN_FLAGS, dst.tunnelFlags);
    }
  }
  if (rc) return rc;
  return nla_nest_end(msg, nest);
}

int PutDaemon(nl_msg* msg, uint8_t cmd, const Daemon& d) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_DAEMON);
  if (!nest) return -1;
  int rc = nla_put_u32(msg, IPVS_DAEMON_ATTR_STATE, d.state);
  if (cmd == IPVS_CMD_NEW_DAEMON) {
    rc = rc ?: nla_put_string(msg, IPVS_DAEMON_ATTR_MCAST_IFN, d.interface.c_str());
    rc = rc ?: nla_put_u32(msg, IPVS_DAEMON_ATTR_SYNC_ID, d.syncId);
    if (d.hasMaxLength) rc = rc ?: nla_put_u16(msg, IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.maxLength);
    if (d.hasGroup) {
      rc = rc ?: (d.group.family == AF_INET6
                      ? nla_put(msg, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, d.group.bytes)
                      : nla_put(msg, IPVS_DAEMON_ATTR_MCAST_GROUP, 4, d.group.bytes));
    }
    if (d.hasPort) rc = rc ?: nla_put_u16(msg, IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
    if (d.hasTtl) rc = rc ?: nla_put_u8(msg, IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
  }
  if (rc) return rc;
  return nla_nest_end(msg, nest);
}

int PutTimeouts(nl_msg* msg, const Timeouts& t) {
  int rc = nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
  rc = rc ?: nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin);
  return rc ?: nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
}

}  // namespace

nl_msg* EncodeRequest(const Request& req, int familyId, uint32_t seq) {
  nl_msg* msg = nlmsg_alloc();
  if (!msg) return nullptr;
  int flags = req.dump ? NLM_F_DUMP : NLM_F_ACK;
  int rc = genlmsg_put(msg, NL_AUTO_PORT, seq, familyId, 0, flags, req.cmd, IPVS_GENL_VERSION)
               ? 0 : -1;
  if (req.hasService) rc = rc ?: PutService(msg, req.cmd, req.service);
  if (req.hasDestination) rc = rc ?: PutDestination(msg, req.cmd, req.destination);
  if (req.hasDaemon) rc = rc ?: PutDaemon(msg, req.cmd, req.daemon);
  if (req.hasTimeouts) rc = rc ?: PutTimeouts(msg, req.timeouts);
  if (rc) {
    nlmsg_free(msg);
    return nullptr;
  }
  nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
  return msg;
}

bool ParseAddress(uint16_t family, const std::string& text, Address* out) {
  *out = Address();
  out->family = family;
  if (family != AF_INET && family != AF_INET6) return false;
  return inet_pton(family, text.c_str(), out->bytes) == 1;
}

std::string FormatAddress(const Address& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (!inet_ntop(address.family, address.bytes, text, sizeof(text))) return std::string();
  return text;
}

}  // namespace ipvs
