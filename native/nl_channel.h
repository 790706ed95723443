// One generic-netlink socket talking to the kernel's IPVS family: opening it
// (optionally in another network namespace), resolving the family once, and
// the three exchanges every IPVS call reduces to. All I/O is non-blocking and
// bounded by a deadline; Cancel() wakes a call that is waiting.
#pragma once

#include <netlink/netlink.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ipvs_types.h"
#include "outcome.h"

namespace ipvs {

// Per-request status in a batch besides 0 (success) and a positive errno.
constexpr int kStatusUnknown = -1;  // sent, but no acknowledgement was read
constexpr int kStatusNotSent = -2;  // never written to the socket

class Channel {
 public:
  using Clock = std::chrono::steady_clock;

  // nsPath empty: the caller's namespace.
  static Outcome Open(const std::string& nsPath, int timeoutMs, std::shared_ptr<Channel>* out);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Sends every request with NLM_F_ACK, as many per sendmsg as the socket
  // buffers allow, and matches each ACK to its request by sequence number.
  // status gets one entry per request: 0, a positive errno, or a kStatus*.
  Outcome Execute(const std::vector<Request>& requests, int timeoutMs, std::vector<int>* status);

  // One request whose answer is data: a dump (read to NLMSG_DONE) or a single
  // GET (one reply then the ACK). A kernel error is returned as the outcome.
  Outcome Query(const Request& request, int timeoutMs, std::vector<Record>* records);
  // The same with an absolute deadline, for many queries under one deadline;
  // withStats false: counters are not decoded (records have hasStats false).
  Outcome Query(const Request& request, Clock::time_point deadline, std::vector<Record>* records,
                bool withStats = true);

  // The same, each record handed to onRecord as it is decoded, none kept
  // (table_read.h reads 50,000 of them). onRecord returns 0 or an errno; the
  // first errno fails the query once its answer has been read to the end.
  using RecordHandler = std::function<int(Record&)>;
  Outcome QueryEach(const Request& request, Clock::time_point deadline, bool withStats,
                    const RecordHandler& onRecord);

  // Thread-safe: the waiting call, and every later one, fails with ECANCELED.
  void Cancel();

  int family() const { return family_.load(); }

 private:
  using Deadline = Clock::time_point;
  using DataHandler = std::function<int(const nlmsghdr*)>;

  Channel() = default;
  Outcome Connect(int timeoutMs);
  Outcome ConnectHere();
  Outcome ResolveFamily(Deadline deadline);
  void Disconnect();
  Outcome Reconnect(const Outcome& cause);
  Outcome WaitReadable(Deadline deadline, bool strict);
  Outcome SendAll(const uint8_t* data, size_t len, Deadline deadline);
  // small: read into the ACK slots (many short datagrams) rather than the data slots.
  Outcome Receive(Deadline deadline, bool strict, bool small, const std::function<bool(const nlmsghdr*)>& onMessage);
  Outcome RoundTrip(nl_msg* msg, Deadline deadline, const DataHandler& onData, bool* dirty);
  uint32_t NextSeq(uint32_t count);

  std::mutex mu_;  // one exchange at a time on the socket
  nl_sock* sock_ = nullptr;
  int fd_ = -1;
  int nsFd_ = -1;
  int wakeFd_ = -1;
  std::atomic<int> family_{0};  // read by the JS thread, set on reconnect
  uint32_t localPort_ = 0;
  uint32_t seq_ = 1;
  size_t window_ = 1;      // ACKs that fit in the receive buffer
  size_t chunkBytes_ = 0;  // bytes per sendmsg
  std::atomic<bool> cancelled_{false};
  // Buffers for recvmmsg: count slots of slotBytes each.
  struct RxSlots {
    size_t slotBytes = 0;
    std::vector<uint8_t> buffer;
    std::vector<iovec> iovecs;
    std::vector<mmsghdr> headers;
    void Init(size_t count, size_t bytes);
    void Reset();
    uint8_t* Slot(size_t i) { return buffer.data() + i * slotBytes; }
  };
  RxSlots large_;
  RxSlots small_;
};

}  // namespace ipvs
