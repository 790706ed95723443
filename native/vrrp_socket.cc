#include "vrrp_socket.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netns.h"

namespace vrrp {
namespace {

using ipvs::Outcome;

// The largest advert: 255 IPv6 addresses (4,088 bytes), or an IPv4 header with
// options and 255 IPv4 addresses (1,088). Anything longer is cut (MSG_TRUNC) and dropped.
constexpr size_t kBufferSize = 4096 + 64;
constexpr int kTrafficClass = 0xc0;

Ip Group(int family) {
  Ip g;
  g.family = family;
  if (family == AF_INET) {
    const uint8_t v4[4] = {224, 0, 0, 18};
    memcpy(g.bytes, v4, 4);
  } else {
    g.bytes[0] = 0xff;
    g.bytes[1] = 0x02;
    g.bytes[15] = 0x12;
  }
  return g;
}

Outcome SetOpt(int fd, int level, int name, const void* value, socklen_t len, const char* what) {
  if (setsockopt(fd, level, name, value, len) != 0) return Outcome::Fail(errno, std::string("setting ") + what);
  return Outcome::Ok();
}

Outcome SetInt(int fd, int level, int name, int value, const char* what) {
  return SetOpt(fd, level, name, &value, sizeof value, what);
}

}  // namespace

Outcome InterfaceSource(int family, const std::string& ifname, Ip* out) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return Outcome::Fail(errno, "listing the addresses of " + ifname);
  bool found = false;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != family || ifname != i->ifa_name) continue;
    out->family = family;
    if (family == AF_INET) {
      memcpy(out->bytes, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
      found = true;
    } else {
      const in6_addr& a = reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr;
      if (!IN6_IS_ADDR_LINKLOCAL(&a)) continue;
      memcpy(out->bytes, &a, 16);
      found = true;
    }
  }
  freeifaddrs(list);
  if (!found) {
    return Outcome::Fail(EADDRNOTAVAIL, std::string("finding ") + (family == AF_INET ? "an IPv4" : "a link-local IPv6") +
                                            " address on " + ifname + " to send from");
  }
  return Outcome::Ok();
}

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}

Outcome Socket::Open(const SocketOptions& options, Clock::time_point deadline, std::unique_ptr<Socket>* out) {
  if (Clock::now() >= deadline) return Outcome::Fail(ETIMEDOUT, "waiting to open the VRRP socket");
  std::unique_ptr<Socket> s(new Socket());
  Outcome o;
  if (options.nsPath.empty()) {
    o = s->Setup(options);
  } else {
    int nsFd = -1;
    o = ipvs::OpenNetnsFile(options.nsPath, &nsFd);
    if (!o.ok()) return o;
    o = ipvs::RunInNetns(nsFd, [&]() { return s->Setup(options); });
    close(nsFd);
  }
  if (!o.ok()) return o;
  *out = std::move(s);
  return Outcome::Ok();
}

Outcome Socket::Setup(const SocketOptions& options) {
  family_ = options.family;
  if (family_ != AF_INET && family_ != AF_INET6) return Outcome::Fail(EAFNOSUPPORT, "choosing the address family");
  if (options.ifname.empty() || options.ifname.size() >= IFNAMSIZ) return Outcome::Fail(EINVAL, "naming the interface");
  peers_ = options.peers;
  for (const Ip& p : peers_) {
    if (p.family != family_) return Outcome::Fail(EINVAL, "checking the peers' family");
  }
  ifindex_ = static_cast<int>(if_nametoindex(options.ifname.c_str()));
  if (ifindex_ == 0) return Outcome::Fail(errno == ENXIO ? ENODEV : errno, "finding interface " + options.ifname);
  if (options.source.family == 0) {
    Outcome o = InterfaceSource(family_, options.ifname, &source_);
    if (!o.ok()) return o;
  } else if (options.source.family != family_) {
    return Outcome::Fail(EINVAL, "checking the source address's family");
  } else {
    source_ = options.source;
  }
  buffer_.resize(kBufferSize);

  fd_ = socket(family_, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kProtocol);
  if (fd_ < 0) return Outcome::Fail(errno, "opening a raw VRRP socket");
  // Bound to the device: packets of the same VRID on another interface are another router.
  Outcome o = SetOpt(fd_, SOL_SOCKET, SO_BINDTODEVICE, options.ifname.c_str(), static_cast<socklen_t>(options.ifname.size()),
                     "SO_BINDTODEVICE");
  if (!o.ok()) return o;
  if (family_ == AF_INET) {
    const int ttl = kHopLimit;
    if (!(o = SetInt(fd_, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IP, IP_TTL, ttl, "IP_TTL")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP")).ok()) return o;
    // Precedence "internetwork control", as keepalived marks its adverts: queued ahead of bulk traffic.
    if (!(o = SetInt(fd_, IPPROTO_IP, IP_TOS, kTrafficClass, "IP_TOS")).ok()) return o;
    ip_mreqn mreq;
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_ifindex = ifindex_;
    memcpy(&mreq.imr_address, source_.bytes, 4);
    if (!(o = SetOpt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq, "IP_MULTICAST_IF")).ok()) return o;
    if (peers_.empty()) {
      memcpy(&mreq.imr_multiaddr, Group(AF_INET).bytes, 4);
      if (!(o = SetOpt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq, "IP_ADD_MEMBERSHIP 224.0.0.18")).ok()) return o;
    }
  } else {
    // No IPV6_CHECKSUM: the kernel would drop a bad checksum unseen; the decoder checks and counts it.
    if (!(o = SetInt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kHopLimit, "IPV6_MULTICAST_HOPS")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kHopLimit, "IPV6_UNICAST_HOPS")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IPV6, IPV6_TCLASS, kTrafficClass, "IPV6_TCLASS")).ok()) return o;
    if (!(o = SetInt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex_, "IPV6_MULTICAST_IF")).ok()) return o;
    if (peers_.empty()) {
      ipv6_mreq mreq;
      memset(&mreq, 0, sizeof mreq);
      memcpy(&mreq.ipv6mr_multiaddr, Group(AF_INET6).bytes, 16);
      mreq.ipv6mr_interface = static_cast<unsigned>(ifindex_);
      if (!(o = SetOpt(fd_, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq, "IPV6_ADD_MEMBERSHIP ff02::12")).ok()) return o;
    }
  }
  return Outcome::Ok();
}

Outcome Socket::Send(const Advert& advert) {
  std::vector<Ip> targets = peers_.empty() ? std::vector<Ip>{Group(family_)} : peers_;
  Outcome first;
  for (const Ip& dst : targets) {
    std::vector<uint8_t> message;
    std::string err;
    if (!EncodeAdvert(advert, source_, dst, &message, &err)) return Outcome::Fail(EINVAL, "encoding the advert: " + err);
    sockaddr_storage to;
    memset(&to, 0, sizeof to);
    socklen_t toLen;
    // The source address is chosen here, not by the route: it is in the checksum's pseudo-header.
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))];
    memset(control, 0, sizeof control);
    msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_control = control;
    cmsghdr* c = reinterpret_cast<cmsghdr*>(control);
    if (family_ == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&to);
      sin->sin_family = AF_INET;
      memcpy(&sin->sin_addr, dst.bytes, 4);
      toLen = sizeof(sockaddr_in);
      in_pktinfo info;
      memset(&info, 0, sizeof info);
      info.ipi_ifindex = ifindex_;
      memcpy(&info.ipi_spec_dst, source_.bytes, 4);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof info);
      memcpy(CMSG_DATA(c), &info, sizeof info);
      msg.msg_controllen = CMSG_SPACE(sizeof info);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
      sin6->sin6_family = AF_INET6;
      memcpy(&sin6->sin6_addr, dst.bytes, 16);
      sin6->sin6_scope_id = static_cast<uint32_t>(ifindex_);
      toLen = sizeof(sockaddr_in6);
      in6_pktinfo info;
      memset(&info, 0, sizeof info);
      memcpy(&info.ipi6_addr, source_.bytes, 16);
      info.ipi6_ifindex = static_cast<unsigned>(ifindex_);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof info);
      memcpy(CMSG_DATA(c), &info, sizeof info);
      msg.msg_controllen = CMSG_SPACE(sizeof info);
    }
    iovec iov = {message.data(), message.size()};
    msg.msg_name = &to;
    msg.msg_namelen = toLen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      if (first.ok()) first = Outcome::Fail(errno, "sending the advert");
    } else {
      stats_.sent++;
    }
  }
  return first;
}

Socket::Read Socket::Receive(Advert* advert, Drop* drop, int* err) {
  sockaddr_storage from;
  alignas(cmsghdr) char control[256];
  iovec iov = {buffer_.data(), buffer_.size()};
  msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Read::kEmpty;
    *err = errno;
    return Read::kError;
  }
  int ifindex = -1, hopLimit = -1;
  Ip dst;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
      in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      ifindex = info.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      ifindex = static_cast<int>(info.ipi6_ifindex);
      dst.family = AF_INET6;
      memcpy(dst.bytes, &info.ipi6_addr, 16);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      memcpy(&hopLimit, CMSG_DATA(c), sizeof(int));
    }
  }
  if (msg.msg_flags & MSG_TRUNC) *drop = Drop::kLength;
  else if (ifindex != ifindex_) *drop = Drop::kInterface;
  else if (family_ == AF_INET) *drop = DecodeIpv4(buffer_.data(), static_cast<size_t>(n), advert);
  else {
    Ip src;
    if (msg.msg_namelen >= sizeof(sockaddr_in6) && from.ss_family == AF_INET6) {
      src.family = AF_INET6;
      memcpy(src.bytes, &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr, 16);
    }
    *drop = DecodeIpv6(buffer_.data(), static_cast<size_t>(n), src, dst, hopLimit, advert);
  }
  if (*drop != Drop::kNone) {
    stats_.dropped[static_cast<size_t>(*drop)]++;
    return Read::kDrop;
  }
  stats_.received++;
  return Read::kAdvert;
}

}  // namespace vrrp
