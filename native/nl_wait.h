// Waiting on a netlink socket under a deadline, shared by the IPVS Channel and
// the rtnetlink calls of the host helpers: one receive discipline for both.
#pragma once

#include <atomic>
#include <chrono>

#include "outcome.h"

namespace ipvs {

using SteadyClock = std::chrono::steady_clock;

// Whole milliseconds left before deadline, 0 once it has passed (poll's timeout).
int RemainingMs(SteadyClock::time_point deadline);

// Waits until fd is readable. wakeFd (or -1) and cancelled (or null) let
// another thread end the wait: ECANCELED. strict: fail with ETIMEDOUT once the
// deadline has passed even if data is waiting (a dump is always readable: the
// kernel fills the next part inside recv, so poll alone would never time out).
Outcome WaitReadable(int fd, int wakeFd, const std::atomic<bool>* cancelled, SteadyClock::time_point deadline,
                     bool strict);

}  // namespace ipvs
