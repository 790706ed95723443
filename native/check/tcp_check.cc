// The TCP checks' connection attempts (tcp_connect.cc) on this host's loopback,
// without N-API, for the sanitizer run: connected, refused, in flight then
// cancelled, bad input, many at once, and every socket closed (descriptors
// counted) whether an attempt ended, was cancelled or was left to the destructor.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "../tcp_connect.h"
#include "check.h"

using ipvs::TcpConnects;

static int OpenDescriptors() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

// A listener on 127.0.0.1 with the given backlog; its port in *port.
static int Listen(int backlog, uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  listen(fd, backlog);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

static int accepting = -1;  // the open listener (non-blocking): Wait empties its queue so it never fills

// Waits (up to 2 s) until `want` attempts have ended; returns them.
static std::vector<TcpConnects::Ended> Wait(TcpConnects* c, size_t want) {
  std::vector<TcpConnects::Ended> out;
  for (int i = 0; i < 200 && out.size() < want; i++) {
    pollfd p{c->fd(), POLLIN, 0};
    poll(&p, 1, 10);
    for (int fd; (fd = accept4(accepting, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) close(fd);
    c->Collect(&out, 64);
  }
  return out;
}

static const uint8_t kLoopback[4] = {127, 0, 0, 1};

int main() {
  const int fdsAtStart = OpenDescriptors();
  uint16_t open = 0, refused = 0, full = 0;
  int listener = Listen(128, &open);
  accepting = listener;
  int gone = Listen(1, &refused);
  close(gone);  // nobody listens there now: refused
  int silent = Listen(0, &full);

  TcpConnects* raw = nullptr;
  CHECK(TcpConnects::Create(&raw).ok());
  {
    std::unique_ptr<TcpConnects> c(raw);
    // Bad input ends at once and keeps nothing.
    CHECK(c->Start(0, kLoopback, 3, open) == EINVAL);
    CHECK(c->Start(1u << 20, kLoopback, 4, open) == EINVAL);
    CHECK(c->inFlight() == 0);

    // Connected and refused, each by its slot.
    int r0 = c->Start(0, kLoopback, 4, open);
    int r1 = c->Start(1, kLoopback, 4, refused);
    CHECK(r0 == TcpConnects::kInFlight || r0 == 0);
    CHECK(r1 == TcpConnects::kInFlight || r1 == ECONNREFUSED);
    CHECK(c->Start(0, kLoopback, 4, open) == EBUSY || r0 == 0);
    size_t pending = (r0 == TcpConnects::kInFlight) + (r1 == TcpConnects::kInFlight);
    auto ended = Wait(c.get(), pending);
    CHECK(ended.size() == pending);
    for (auto& e : ended) CHECK((e.slot == 0 && e.err == 0) || (e.slot == 1 && e.err == ECONNREFUSED));
    CHECK(c->inFlight() == 0);

    // The IPv6 loopback: refused or connected, never a crash (a host may lack ::1).
    uint8_t v6[16] = {};
    v6[15] = 1;
    int r6 = c->Start(2, v6, 16, refused);
    if (r6 == TcpConnects::kInFlight) CHECK(Wait(c.get(), 1).size() == 1);

    // A listener whose queue is full never answers: the attempt stays in flight until cancelled.
    int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(full);
    connect(filler, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    CHECK(c->Start(3, kLoopback, 4, full) == TcpConnects::kInFlight);
    CHECK(Wait(c.get(), 1).empty());
    c->Cancel(3);
    c->Cancel(3);  // a free slot: ignored
    CHECK(c->inFlight() == 0);
    CHECK(c->Start(3, kLoopback, 4, full) == TcpConnects::kInFlight);  // the slot serves again; left to the destructor

    // Many at once, slots spread out: each ends once, by its own slot.
    std::vector<int> seen(1000, 0);
    size_t started = 0;
    for (uint32_t s = 10; s < 1000; s++) {
      int r = c->Start(s, kLoopback, 4, s % 2 ? open : refused);
      if (r == TcpConnects::kInFlight) started++;
      else seen[s]++;
      if (s % 50 == 0) for (int fd; (fd = accept4(accepting, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) close(fd);
    }
    for (auto& e : Wait(c.get(), started)) {
      CHECK(e.err == ((e.slot % 2) ? 0 : ECONNREFUSED));
      seen[e.slot]++;
    }
    for (uint32_t s = 10; s < 1000; s++) CHECK(seen[s] == 1);
    CHECK(c->inFlight() == 1);
    close(filler);
  }
  close(listener);
  close(silent);
  CHECK(OpenDescriptors() == fdsAtStart);
  printf("tcp: %d failures\n", failures);
  return failures ? 1 : 0;
}
