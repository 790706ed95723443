// A raw IPPROTO_VRRP socket on one interface (no N-API): opened in the
// caller's network namespace or, through RunInNetns, in another one (a socket
// keeps the namespace it was made in). Non-blocking both ways: the N-API edge
// (vrrp_js.cc) reads it when libuv says it is readable.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "outcome.h"
#include "vrrp_packet.h"

namespace vrrp {

struct SocketOptions {
  int family = 0;       // AF_INET or AF_INET6
  std::string ifname;   // 1-15 bytes
  std::string nsPath;   // empty: the calling thread's namespace
  std::vector<Ip> peers;  // empty: multicast to 224.0.0.18 / ff02::12
  Ip source;            // family 0: the interface's first IPv4 / first link-local IPv6 address
};

// Per-socket counters, read by the JS edge.
struct SocketStats {
  uint64_t received = 0;  // adverts that passed every check
  uint64_t dropped[kDropKinds] = {};  // indexed by Drop
  uint64_t sent = 0;      // datagrams sent (one per peer)
};

class Socket {
 public:
  using Clock = std::chrono::steady_clock;
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Everything that can wait (namespace, address lookup) happens here; a
  // deadline already past when it starts opens nothing (ETIMEDOUT).
  static ipvs::Outcome Open(const SocketOptions& options, Clock::time_point deadline, std::unique_ptr<Socket>* out);

  int fd() const { return fd_; }
  const Ip& source() const { return source_; }
  const SocketStats& stats() const { return stats_; }

  // One advert, to the group or to each peer, with MSG_DONTWAIT: a full send
  // buffer is EAGAIN at once, never a wait. The first error wins, every peer is tried.
  ipvs::Outcome Send(const Advert& advert);

  enum class Read { kAdvert, kDrop, kEmpty, kError };
  // One waiting datagram, checked and decoded: kAdvert fills *advert, kDrop
  // *drop (both counted); kEmpty when nothing waits; kError with *err.
  Read Receive(Advert* advert, Drop* drop, int* err);

 private:
  Socket() = default;
  ipvs::Outcome Setup(const SocketOptions& options);

  int fd_ = -1;
  int family_ = 0;
  int ifindex_ = 0;
  Ip source_;
  std::vector<Ip> peers_;
  SocketStats stats_;
  std::vector<uint8_t> buffer_;
};

// Finds the address a VRRP packet leaves `ifname` from in the calling
// thread's namespace: its first IPv4 address, or its first IPv6 link-local
// one (RFC 5798 §5.1.2.1). EADDRNOTAVAIL when it has none.
ipvs::Outcome InterfaceSource(int family, const std::string& ifname, Ip* out);

}  // namespace vrrp
