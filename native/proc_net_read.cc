#include "proc_net_read.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "netns.h"

namespace ipvs {
namespace {

using Clock = std::chrono::steady_clock;

// A connection line is under 300 bytes; 512 MiB is some 2 million entries,
// past the largest table a director holds. Beyond it: EFBIG, not an OOM.
constexpr size_t kMaxBytes = size_t{512} << 20;
constexpr size_t kChunk = size_t{1} << 20;

// /proc/net is /proc/self/net, which follows the thread group leader's
// namespace; thread-self follows this thread's, the one setns() moved.
Outcome ReadOne(const std::string& name, Clock::time_point deadline, std::string* out) {
  const std::string path = "/proc/thread-self/net/" + name;
  const std::string shown = "/proc/net/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Outcome::Fail(errno, "opening " + shown);
  std::vector<char> buf(kChunk);
  Outcome result = Outcome::Ok();
  for (;;) {
    if (Clock::now() >= deadline) {
      result = Outcome::Fail(ETIMEDOUT, "reading " + shown);
      break;
    }
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = Outcome::Fail(errno, "reading " + shown);
      break;
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > kMaxBytes) {
      result = Outcome::Fail(EFBIG, "reading " + shown + " (larger than 512 MiB)");
      break;
    }
    out->append(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return result;
}

Outcome ReadAll(const std::vector<std::string>& names, Clock::time_point deadline, std::vector<std::string>* out) {
  for (const std::string& name : names) {
    out->emplace_back();
    Outcome o = ReadOne(name, deadline, &out->back());
    if (!o.ok()) return o;
  }
  return Outcome::Ok();
}

}  // namespace

bool IsIpvsProcFileName(const std::string& name) {
  return name == "ip_vs_conn" || name == "ip_vs_conn_sync" || name == "ip_vs_stats";
}

Outcome ReadConnectionFiles(const std::string& nsPath, const std::vector<std::string>& names,
                            Clock::time_point deadline, std::vector<std::string>* out) {
  for (const std::string& name : names)
    if (!IsIpvsProcFileName(name)) return Outcome::Fail(EINVAL, "reading /proc/net/" + name + ": not an IPVS file");
  if (nsPath.empty()) return ReadAll(names, deadline, out);
  int nsFd = -1;
  Outcome o = OpenNetnsFile(nsPath, &nsFd);
  if (!o.ok()) return o;
  o = RunInNetns(nsFd, [&]() { return ReadAll(names, deadline, out); });
  close(nsFd);
  return o;
}

}  // namespace ipvs
