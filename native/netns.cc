#include "netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace ipvs {

Outcome OpenNetnsFile(const std::string& path, int* fd) {
  // The path is the caller's: O_NONBLOCK so a FIFO (or a device that waits
  // for a peer) cannot hold this thread, and with it the process's exit,
  // before any deadline applies; O_NOCTTY so a terminal never becomes ours.
  *fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (*fd < 0) {
    // open(2) answers ENXIO for a socket (and a device with no driver): not a namespace either.
    if (errno == ENXIO) return Outcome::Fail(EINVAL, path + " is not a network namespace");
    return Outcome::Fail(errno, "opening network namespace " + path);
  }
  // nsfs files are regular files (S_IFREG); anything else is refused before
  // the ioctl, whose number a device driver could read as its own request.
  struct stat st;
  bool regular = fstat(*fd, &st) == 0 && S_ISREG(st.st_mode);
  // NS_GET_NSTYPE answers only for namespace files; any other file is ENOTTY.
  if (!regular || ioctl(*fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
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

Outcome EnterNetns(const std::string& path) {
  int fd = -1;
  Outcome opened = OpenNetnsFile(path, &fd);
  if (!opened.ok()) return opened;
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (rc != 0) return Outcome::Fail(err, "entering network namespace " + path);
  return Outcome::Ok();
}

}  // namespace ipvs
