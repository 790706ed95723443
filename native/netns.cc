#include "netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace ipvs {

Outcome OpenNetnsFile(const std::string& path, int* fd) {
  *fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (*fd < 0) return Outcome::Fail(errno, "opening network namespace " + path);
  // NS_GET_NSTYPE answers only for namespace files; anything else is ENOTTY.
  int type = ioctl(*fd, NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    close(*fd);
    *fd = -1;
    return Outcome::Fail(EINVAL, path + " is not a network namespace");
  }
  return Outcome::Ok();
}

Outcome RunInNetns(int nsFd, const std::function<Outcome()>& fn) {
  Outcome result;
  // A fresh thread: if joining fails half-way, no thread of ours is left in
  // an unexpected namespace.
  try {
    std::thread helper([&]() {
      if (setns(nsFd, CLONE_NEWNET) != 0) {
        result = Outcome::Fail(errno, "entering the network namespace");
        return;
      }
      result = fn();
    });
    helper.join();
  } catch (const std::system_error& e) {
    return Outcome::Fail(e.code().value() ?: EAGAIN, "starting a thread to enter the namespace");
  }
  return result;
}

}  // namespace ipvs
