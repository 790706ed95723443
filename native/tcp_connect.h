// TCP connection attempts for the health checks' TCP_CHECK, thousands a
// second (no N-API): each a non-blocking connect() on a socket of its own,
// all waited on by one epoll descriptor that libuv watches on the JS thread
// (tcp_connect_js.cc). An attempt ends connected or with the connect's errno,
// and its socket is closed at once. A Node net.Socket per attempt cost four
// times the CPU of the system calls themselves; here an attempt is those calls.
// Sockets are made on the calling thread, so in its network namespace.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <vector>

#include "outcome.h"

namespace ipvs {

class TcpConnects {
 public:
  ~TcpConnects();
  TcpConnects(const TcpConnects&) = delete;
  TcpConnects& operator=(const TcpConnects&) = delete;

  static Outcome Create(TcpConnects** out);

  // The descriptor to wait on: readable when an attempt has ended.
  int fd() const { return epfd_; }

  // Starts attempt `slot` (a small number the caller reuses; one attempt per
  // slot at a time) to addr (4 or 16 bytes) and port. kInFlight: its end comes
  // from Collect. Otherwise it ended at once: 0 connected, or the errno (EINVAL
  // for a bad slot or address length, EBUSY for a slot in use, ECONNREFUSED,
  // EMFILE, ...); nothing is kept.
  static constexpr int kInFlight = -1;
  int Start(uint32_t slot, const uint8_t* addr, size_t addrLen, uint16_t port);

  struct Ended {
    uint32_t slot;
    int err;  // 0: connected
  };
  // Appends up to `max` attempts that have ended, closing their sockets; none
  // when nothing has (never waits).
  void Collect(std::vector<Ended>* out, int max);

  // Ends attempt `slot` without a result (its socket closed); a free slot is ignored.
  void Cancel(uint32_t slot);

  size_t inFlight() const { return inFlight_; }

 private:
  TcpConnects() = default;
  void Release(uint32_t slot);

  int epfd_ = -1;
  std::vector<int> sockets_;  // by slot; -1 when free
  size_t inFlight_ = 0;
  std::vector<epoll_event> events_;
};

}  // namespace ipvs
