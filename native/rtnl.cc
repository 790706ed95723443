#include "rtnl.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace ipvs {
namespace {

// Closes the socket on every way out of Exchange.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// One request on a short-lived non-blocking NETLINK_ROUTE socket, read to its
// ACK (or NLMSG_DONE for a dump) by the deadline. A dump's deadline is
// strict (it stays readable while the kernel has more to give); an ACK
// already queued is still read after it, so its outcome is known.
Outcome Exchange(nl_msg* msg, RtnlDeadline deadline, const std::function<void(const nlmsghdr*)>& onData) {
  // Past its deadline (a long wait for a worker thread), the call sends nothing.
  if (SteadyClock::now() >= deadline) {
    nlmsg_free(msg);
    return Outcome::Fail(ETIMEDOUT, "not sent: the deadline had passed");
  }
  Fd sock{socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)};
  if (sock.fd < 0) {
    int err = errno;
    nlmsg_free(msg);
    return Outcome::Fail(err, "opening a rtnetlink socket");
  }
  nlmsghdr* hdr = nlmsg_hdr(msg);
  hdr->nlmsg_seq = 1;
  bool dump = (hdr->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  // The kernel handles a netlink send synchronously: it never waits for room.
  ssize_t sent = send(sock.fd, hdr, hdr->nlmsg_len, 0);
  int sendErr = errno;
  bool whole = sent == static_cast<ssize_t>(hdr->nlmsg_len);
  nlmsg_free(msg);
  if (sent < 0) return Outcome::Fail(sendErr, "sending to rtnetlink");
  if (!whole) return Outcome::Fail(EMSGSIZE, "sending to rtnetlink");
  std::vector<uint8_t> buf(64 << 10);
  for (unsigned reads = 0;; reads++) {
    // A clock read is a system call in user-mode Linux: a dump that keeps data coming checks every few reads.
    if (dump && reads % 16 == 15 && SteadyClock::now() >= deadline)
      return Outcome::Fail(ETIMEDOUT, "waiting for rtnetlink's answer");
    ssize_t n = recv(sock.fd, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return Outcome::Fail(errno, "reading from rtnetlink");
      Outcome o = WaitReadable(sock.fd, -1, nullptr, deadline, dump);
      if (!o.ok()) return Outcome::Fail(o.err, "waiting for rtnetlink's answer");
      continue;
    }
    // MSG_TRUNC makes recv say the datagram's real length: longer than the buffer is a message cut short.
    if (static_cast<size_t>(n) > buf.size()) return Outcome::Fail(EMSGSIZE, "reading from rtnetlink");
    int len = static_cast<int>(n);
    for (const nlmsghdr* h = reinterpret_cast<const nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != 1) continue;
      if (h->nlmsg_type == NLMSG_DONE) return Outcome::Ok();
      if (h->nlmsg_type == NLMSG_ERROR) {
        int error = 0;
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int))) return Outcome::Fail(EPROTO, "reading from rtnetlink");
        memcpy(&error, NLMSG_DATA(h), sizeof(error));
        return error ? Outcome::Fail(-error, "kernel") : Outcome::Ok();
      }
      onData(h);
    }
  }
}

Outcome IndexOf(const std::string& ifname, int* index) {
  *index = static_cast<int>(if_nametoindex(ifname.c_str()));
  return *index ? Outcome::Ok() : Outcome::Fail(ENODEV, "finding interface " + ifname);
}

size_t AddressLength(uint16_t family) { return family == AF_INET6 ? 16 : 4; }

// A message of type with its fixed header (ifinfomsg, ifaddrmsg); null when out of memory.
template <typename Header>
nl_msg* RouteRequest(int type, int flags, const Header& header) {
  nl_msg* msg = nlmsg_alloc_simple(type, flags);
  if (msg && nlmsg_append(msg, const_cast<Header*>(&header), sizeof(header), NLMSG_ALIGNTO) < 0) {
    nlmsg_free(msg);
    msg = nullptr;
  }
  return msg;
}

constexpr uint32_t kForever = 0xFFFFFFFFu;  // INFINITY_LIFE_TIME

int PutLifetimes(nl_msg* msg, uint32_t preferred, uint32_t valid) {
  ifa_cacheinfo info = {};
  info.ifa_prefered = preferred;
  info.ifa_valid = valid;
  return nla_put(msg, IFA_CACHEINFO, sizeof(info), &info);
}

}  // namespace

Outcome GetLink(const std::string& ifname, LinkState* out, RtnlDeadline deadline) {
  Outcome o = IndexOf(ifname, &out->index);
  if (!o.ok()) return o;
  ifinfomsg ifi = {};
  ifi.ifi_index = out->index;
  nl_msg* msg = RouteRequest(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, ifi);
  if (!msg) return Outcome::Fail(ENOMEM, "building a link request");
  return Exchange(msg, deadline, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
    const auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
    if (info->ifi_index != out->index) return;
    out->up = (info->ifi_flags & IFF_UP) != 0;
    out->running = (info->ifi_flags & IFF_RUNNING) != 0;
  });
}

Outcome SetLinkUp(const std::string& ifname, bool up, RtnlDeadline deadline) {
  ifinfomsg ifi = {};
  Outcome o = IndexOf(ifname, &ifi.ifi_index);
  if (!o.ok()) return o;
  ifi.ifi_flags = up ? IFF_UP : 0;
  ifi.ifi_change = IFF_UP;
  nl_msg* msg = RouteRequest(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifi);
  if (!msg) return Outcome::Fail(ENOMEM, "building a link request");
  return Exchange(msg, deadline, [](const nlmsghdr*) {});
}

Outcome ChangeAddress(bool add, const std::string& ifname, const InterfaceAddress& a, RtnlDeadline deadline) {
  int index = 0;
  Outcome o = IndexOf(ifname, &index);
  if (!o.ok()) return o;
  ifaddrmsg ifa = {};
  ifa.ifa_family = static_cast<uint8_t>(a.address.family);
  ifa.ifa_prefixlen = static_cast<uint8_t>(a.prefix);
  ifa.ifa_index = static_cast<uint32_t>(index);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  if (add && a.noDad && a.address.family == AF_INET6) ifa.ifa_flags = IFA_F_NODAD;
  int flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  nl_msg* msg = RouteRequest(add ? RTM_NEWADDR : RTM_DELADDR, flags, ifa);
  size_t len = AddressLength(a.address.family);
  if (!msg || nla_put(msg, IFA_LOCAL, static_cast<int>(len), a.address.bytes) < 0 ||
      nla_put(msg, IFA_ADDRESS, static_cast<int>(len), a.address.bytes) < 0 ||
      (add && a.deprecated && a.address.family == AF_INET6 && PutLifetimes(msg, 0, kForever) < 0)) {
    if (msg) nlmsg_free(msg);
    return Outcome::Fail(ENOMEM, "building an address request");
  }
  return Exchange(msg, deadline, [](const nlmsghdr*) {});
}

Outcome ListAddresses(const std::string& ifname, std::vector<InterfaceAddress>* out, RtnlDeadline deadline) {
  int index = 0;
  Outcome o = IndexOf(ifname, &index);
  if (!o.ok()) return o;
  ifaddrmsg ifa = {};
  nl_msg* msg = RouteRequest(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, ifa);
  if (!msg) return Outcome::Fail(ENOMEM, "building an address request");
  return Exchange(msg, deadline, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return;
    const auto* info = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (static_cast<int>(info->ifa_index) != index) return;
    if (info->ifa_family != AF_INET && info->ifa_family != AF_INET6) return;
    size_t want = AddressLength(info->ifa_family);
    // IFA_LOCAL is the address itself on point-to-point links; IFA_ADDRESS otherwise.
    const nlattr* found = nullptr;
    int rem = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(ifaddrmsg)));
    const nlattr* attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const uint8_t*>(info) + NLMSG_ALIGN(sizeof(ifaddrmsg)));
    for (; nla_ok(attr, rem); attr = nla_next(attr, &rem)) {
      int type = nla_type(attr);
      if ((type == IFA_LOCAL || (type == IFA_ADDRESS && !found)) && static_cast<size_t>(nla_len(attr)) == want) found = attr;
    }
    if (!found) return;
    InterfaceAddress a;
    a.address.family = info->ifa_family;
    memcpy(a.address.bytes, nla_data(found), want);
    a.prefix = info->ifa_prefixlen;
    out->push_back(a);
  });
}

Outcome ChangeRoute(bool add, const Route& r, RtnlDeadline deadline) {
  rtmsg rtm = {};
  rtm.rtm_family = static_cast<uint8_t>(r.family);
  rtm.rtm_dst_len = static_cast<uint8_t>(r.prefix);
  rtm.rtm_table = RT_TABLE_MAIN;
  rtm.rtm_protocol = RTPROT_BOOT;
  rtm.rtm_scope = r.hasGateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm.rtm_type = RTN_UNICAST;
  int flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  nl_msg* msg = RouteRequest(add ? RTM_NEWROUTE : RTM_DELROUTE, flags, rtm);
  if (!msg) return Outcome::Fail(ENOMEM, "building a route request");
  int len = static_cast<int>(AddressLength(r.family));
  int rc = 0;
  if (r.prefix > 0) rc = nla_put(msg, RTA_DST, len, r.destination.bytes);
  if (!rc && r.hasGateway) rc = nla_put(msg, RTA_GATEWAY, len, r.gateway.bytes);
  if (!rc && !r.ifname.empty()) {
    int index = 0;
    Outcome o = IndexOf(r.ifname, &index);
    if (!o.ok()) {
      nlmsg_free(msg);
      return o;
    }
    rc = nla_put_u32(msg, RTA_OIF, static_cast<uint32_t>(index));
  }
  if (rc < 0) {
    nlmsg_free(msg);
    return Outcome::Fail(ENOMEM, "building a route request");
  }
  return Exchange(msg, deadline, [](const nlmsghdr*) {});
}

Outcome ListDefaultRoutes(uint16_t family, std::vector<Route>* out, RtnlDeadline deadline) {
  rtmsg rtm = {};
  rtm.rtm_family = static_cast<uint8_t>(family);
  nl_msg* msg = RouteRequest(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, rtm);
  if (!msg) return Outcome::Fail(ENOMEM, "building a route request");
  size_t want = AddressLength(family);
  return Exchange(msg, deadline, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return;
    const auto* info = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (info->rtm_family != family || info->rtm_dst_len != 0 || info->rtm_type != RTN_UNICAST) return;
    Route r;
    r.family = family;
    uint32_t table = info->rtm_table;
    int rem = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(rtmsg)));
    const nlattr* attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const uint8_t*>(info) + NLMSG_ALIGN(sizeof(rtmsg)));
    for (; nla_ok(attr, rem); attr = nla_next(attr, &rem)) {
      int type = nla_type(attr);
      if (type == RTA_TABLE && nla_len(attr) == 4) table = nla_get_u32(const_cast<nlattr*>(attr));
      if (type == RTA_GATEWAY && static_cast<size_t>(nla_len(attr)) == want) {
        r.hasGateway = true;
        memcpy(r.gateway.bytes, nla_data(attr), want);
        r.gateway.family = family;
      }
      if (type == RTA_OIF && nla_len(attr) == 4) {
        char name[IF_NAMESIZE] = {0};
        if (if_indextoname(nla_get_u32(const_cast<nlattr*>(attr)), name)) r.ifname = name;
      }
    }
    if (table == RT_TABLE_MAIN) out->push_back(r);
  });
}

}  // namespace ipvs
