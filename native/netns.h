// Network namespaces: validating a namespace file and creating a socket
// inside one without moving any thread the caller owns.
#pragma once

#include <functional>
#include <string>

#include "outcome.h"

namespace ipvs {

// Opens a namespace file (e.g. /run/netns/NAME) and checks that it is a
// network namespace. Never blocks (a FIFO is refused, not waited on): a file
// that is not a network namespace is EINVAL. On success *fd is an O_CLOEXEC
// descriptor to close.
Outcome OpenNetnsFile(const std::string& path, int* fd);

// Runs fn on a short-lived helper thread that has joined the namespace nsFd,
// so that sockets fn creates belong to that namespace. The calling thread's
// namespace is never changed; the helper thread ends with fn.
Outcome RunInNetns(int nsFd, const std::function<Outcome()>& fn);

// Moves the calling thread (only it: setns changes one thread) into the
// network namespace at path, checked as OpenNetnsFile does. Sockets the
// thread creates afterwards, and processes it forks, belong to that namespace.
Outcome EnterNetns(const std::string& path);

}  // namespace ipvs
