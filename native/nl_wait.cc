#include "nl_wait.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace ipvs {

int RemainingMs(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

Outcome WaitReadable(int fd, int wakeFd, const std::atomic<bool>* cancelled, SteadyClock::time_point deadline,
                     bool strict) {
  auto isCancelled = [cancelled]() { return cancelled && cancelled->load(); };
  for (;;) {
    if (isCancelled()) return Outcome::Fail(ECANCELED, "waiting for the kernel");
    if (strict && SteadyClock::now() >= deadline) return Outcome::Fail(ETIMEDOUT, "waiting for the kernel's answer");
    pollfd fds[2] = {{fd, POLLIN, 0}, {wakeFd, POLLIN, 0}};
    int n = poll(fds, wakeFd >= 0 ? 2 : 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Outcome::Fail(errno, "waiting for the kernel");
    if (isCancelled() || (wakeFd >= 0 && (fds[1].revents & POLLIN))) return Outcome::Fail(ECANCELED, "waiting for the kernel");
    if (n == 0) return Outcome::Fail(ETIMEDOUT, "waiting for the kernel's answer");
    return Outcome::Ok();
  }
}

}  // namespace ipvs
