// Link changes in one network namespace, as the kernel announces them: a
// NETLINK_ROUTE socket in the RTNLGRP_LINK group (no N-API). Non-blocking:
// the N-API edge (link_watch_js.cc) reads it when libuv says it is readable.
// A tracked interface learns of a lost carrier when it happens, not at the
// next reading (keepalived listens the same way).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nl_wait.h"
#include "outcome.h"

namespace ipvs {

struct LinkEvent {
  int index = 0;
  std::string name;  // IFLA_IFNAME; empty if the message carried none
  bool up = false;       // IFF_UP
  bool running = false;  // IFF_RUNNING: a carrier
  bool removed = false;  // RTM_DELLINK: the interface is gone
};

// The link messages of one datagram from the kernel. Every length is checked:
// a message or attribute that does not fit is skipped, never read past.
void ParseLinkEvents(const uint8_t* data, size_t len, std::vector<LinkEvent>* out);

class LinkWatch {
 public:
  ~LinkWatch();
  LinkWatch(const LinkWatch&) = delete;
  LinkWatch& operator=(const LinkWatch&) = delete;

  // In the namespace at nsPath (empty: the calling thread's). A deadline
  // already past opens nothing (ETIMEDOUT).
  static Outcome Open(const std::string& nsPath, SteadyClock::time_point deadline, std::unique_ptr<LinkWatch>* out);

  int fd() const { return fd_; }

  enum class Read { kEvents, kEmpty, kOverrun, kError };
  // One waiting datagram: kEvents appends its link events (perhaps none);
  // kOverrun when the kernel dropped events for a full receive queue
  // (ENOBUFS: read every link again); kEmpty when nothing waits.
  Read Receive(std::vector<LinkEvent>* out, int* err);

 private:
  LinkWatch() = default;
  Outcome Setup();

  int fd_ = -1;
  std::vector<uint8_t> buffer_;
};

}  // namespace ipvs
