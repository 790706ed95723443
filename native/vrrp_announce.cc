#include "vrrp_announce.h"

#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netns.h"

namespace vrrp {
namespace {

using ipvs::Outcome;

Outcome SendAll(const std::string& ifname, const std::vector<Ip>& addresses, bool router,
                std::chrono::steady_clock::time_point deadline, int* sent) {
  // Protocol 0: the socket receives nothing, so nothing queues on it.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Outcome::Fail(errno, "opening a packet socket");
  ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname.data(), ifname.size());  // the caller checked it fits
  Outcome o;
  int ifindex = 0;
  if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) o = Outcome::Fail(errno, "finding interface " + ifname);
  else ifindex = ifr.ifr_ifindex;
  if (o.ok() && ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) o = Outcome::Fail(errno, "reading the MAC address of " + ifname);
  if (o.ok() && ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) o = Outcome::Fail(EOPNOTSUPP, ifname + " is not an Ethernet interface");
  uint8_t mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  for (size_t i = 0; o.ok() && i < addresses.size(); i++) {
    if (std::chrono::steady_clock::now() >= deadline) {
      o = Outcome::Fail(ETIMEDOUT, "announcing the addresses");
      break;
    }
    const Ip& a = addresses[i];
    std::vector<uint8_t> frame = a.family == AF_INET ? GratuitousArp(mac, a.bytes) : UnsolicitedNa(mac, a.bytes, router);
    sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_protocol = htons(a.family == AF_INET ? ETH_P_ARP : ETH_P_IPV6);
    to.sll_halen = 6;
    memcpy(to.sll_addr, frame.data(), 6);  // the frame's own destination
    if (sendto(fd, frame.data(), frame.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      o = Outcome::Fail(errno, a.family == AF_INET ? "sending a gratuitous ARP" : "sending a neighbour advertisement");
    } else {
      (*sent)++;
    }
  }
  close(fd);
  return o;
}

}  // namespace

Outcome Announce(const std::string& nsPath, const std::string& ifname, const std::vector<Ip>& addresses, bool router,
                 std::chrono::steady_clock::time_point deadline, int* sent) {
  *sent = 0;
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return Outcome::Fail(EINVAL, "naming the interface");
  if (std::chrono::steady_clock::now() >= deadline) return Outcome::Fail(ETIMEDOUT, "waiting to announce the addresses");
  if (nsPath.empty()) return SendAll(ifname, addresses, router, deadline, sent);
  int nsFd = -1;
  Outcome o = ipvs::OpenNetnsFile(nsPath, &nsFd);
  if (!o.ok()) return o;
  o = ipvs::RunInNetns(nsFd, [&]() { return SendAll(ifname, addresses, router, deadline, sent); });
  close(nsFd);
  return o;
}

}  // namespace vrrp
