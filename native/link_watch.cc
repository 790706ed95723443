#include "link_watch.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netns.h"

namespace ipvs {
namespace {

// A burst of link changes (a bridge with many ports going down) fits without an overrun.
constexpr int kReceiveBuffer = 1 << 20;

// Attributes of one message, read with their lengths checked against what is left of it.
void ReadAttributes(const uint8_t* p, size_t len, LinkEvent* event) {
  while (len >= sizeof(rtattr)) {
    rtattr a;
    memcpy(&a, p, sizeof a);
    if (a.rta_len < sizeof(rtattr) || a.rta_len > len) return;
    if (a.rta_type == IFLA_IFNAME) {
      const char* name = reinterpret_cast<const char*>(p + RTA_LENGTH(0));
      size_t room = a.rta_len - RTA_LENGTH(0);
      size_t n = strnlen(name, room < IFNAMSIZ ? room : IFNAMSIZ);
      // Without its NUL inside the attribute and within IFNAMSIZ, it is no name.
      if (n < room && n < IFNAMSIZ) event->name.assign(name, n);
    }
    size_t step = RTA_ALIGN(a.rta_len);
    if (step >= len) return;
    p += step;
    len -= step;
  }
}

}  // namespace

void ParseLinkEvents(const uint8_t* data, size_t len, std::vector<LinkEvent>* out) {
  while (len >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    memcpy(&h, data, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > len) return;
    if ((h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK) && h.nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg))) {
      ifinfomsg info;
      memcpy(&info, data + NLMSG_HDRLEN, sizeof info);
      LinkEvent e;
      e.index = info.ifi_index;
      e.up = (info.ifi_flags & IFF_UP) != 0;
      e.running = (info.ifi_flags & IFF_RUNNING) != 0;
      e.removed = h.nlmsg_type == RTM_DELLINK;
      size_t fixed = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifinfomsg)));
      if (h.nlmsg_len > fixed) ReadAttributes(data + fixed, h.nlmsg_len - fixed, &e);
      out->push_back(std::move(e));
    }
    size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= len) return;
    data += step;
    len -= step;
  }
}

LinkWatch::~LinkWatch() {
  if (fd_ >= 0) close(fd_);
}

Outcome LinkWatch::Open(const std::string& nsPath, SteadyClock::time_point deadline, std::unique_ptr<LinkWatch>* out) {
  if (SteadyClock::now() >= deadline) return Outcome::Fail(ETIMEDOUT, "waiting to open the link watch");
  std::unique_ptr<LinkWatch> w(new LinkWatch());
  Outcome o;
  if (nsPath.empty()) {
    o = w->Setup();
  } else {
    int nsFd = -1;
    o = OpenNetnsFile(nsPath, &nsFd);
    if (!o.ok()) return o;
    o = RunInNetns(nsFd, [&]() { return w->Setup(); });
    close(nsFd);
  }
  if (!o.ok()) return o;
  *out = std::move(w);
  return Outcome::Ok();
}

Outcome LinkWatch::Setup() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd_ < 0) return Outcome::Fail(errno, "opening a rtnetlink socket");
  int size = kReceiveBuffer;
  // FORCE (root) passes rmem_max; without the privilege the ordinary option is capped by it.
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0 &&
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0)
    return Outcome::Fail(errno, "sizing the link watch's receive buffer");
  sockaddr_nl local;
  memset(&local, 0, sizeof local);
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) return Outcome::Fail(errno, "joining RTNLGRP_LINK");
  buffer_.resize(64 << 10);
  return Outcome::Ok();
}

LinkWatch::Read LinkWatch::Receive(std::vector<LinkEvent>* out, int* err) {
  sockaddr_nl from;
  memset(&from, 0, sizeof from);
  iovec iov = {buffer_.data(), buffer_.size()};
  msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Read::kEmpty;
    if (errno == ENOBUFS) return Read::kOverrun;
    *err = errno;
    return Read::kError;
  }
  // Only the kernel speaks for links. A datagram cut short lost events, as an overrun does.
  if (from.nl_pid != 0) return Read::kEvents;
  if (msg.msg_flags & MSG_TRUNC) return Read::kOverrun;
  ParseLinkEvents(buffer_.data(), static_cast<size_t>(n), out);
  return Read::kEvents;
}

}  // namespace ipvs
