#include "tcp_connect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ipvs {
namespace {

// Attempts at once: far beyond 4,000 checks a second with 1 s timeouts, and a
// bound on the slot table a bad caller could make us grow.
constexpr uint32_t kMaxSlots = 1u << 20;

}  // namespace

TcpConnects::~TcpConnects() {
  for (int fd : sockets_)
    if (fd >= 0) close(fd);
  if (epfd_ >= 0) close(epfd_);
}

Outcome TcpConnects::Create(TcpConnects** out) {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return Outcome::Fail(errno, "creating the TCP check's epoll descriptor");
  TcpConnects* c = new TcpConnects();
  c->epfd_ = epfd;
  *out = c;
  return Outcome::Ok();
}

int TcpConnects::Start(uint32_t slot, const uint8_t* addr, size_t addrLen, uint16_t port) {
  if (slot >= kMaxSlots || (addrLen != 4 && addrLen != 16)) return EINVAL;
  if (slot >= sockets_.size()) sockets_.resize(slot + 1, -1);
  if (sockets_[slot] >= 0) return EBUSY;
  sockaddr_storage sa{};
  socklen_t saLen;
  int family;
  if (addrLen == 4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&sa);
    in->sin_family = family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, addr, 4);
    saLen = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa);
    in6->sin6_family = family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, addr, 16);
    saLen = sizeof(sockaddr_in6);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return errno;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), saLen) == 0) {
    close(fd);  // connected at once: all a TCP check asks
    return 0;
  }
  if (errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return err;
  }
  epoll_event ev{};
  ev.events = EPOLLOUT | EPOLLONESHOT;  // writable once the handshake ends, either way
  ev.data.u32 = slot;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    return err;
  }
  sockets_[slot] = fd;
  inFlight_++;
  return kInFlight;
}

void TcpConnects::Collect(std::vector<Ended>* out, int max) {
  if (max <= 0 || inFlight_ == 0) return;
  events_.resize(static_cast<size_t>(max));
  int n = epoll_wait(epfd_, events_.data(), max, 0);
  for (int i = 0; i < n; i++) {
    uint32_t slot = events_[i].data.u32;
    if (slot >= sockets_.size() || sockets_[slot] < 0) continue;  // cancelled after the event was queued
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(sockets_[slot], SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    Release(slot);
    out->push_back({slot, err});
  }
}

void TcpConnects::Cancel(uint32_t slot) {
  if (slot < sockets_.size() && sockets_[slot] >= 0) Release(slot);
}

void TcpConnects::Release(uint32_t slot) {
  // close() takes the socket out of the epoll set too (no other descriptor refers to it).
  close(sockets_[slot]);
  sockets_[slot] = -1;
  inFlight_--;
}

}  // namespace ipvs
