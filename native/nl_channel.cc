#include "nl_channel.h"

#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ipvs_message.h"
#include "netns.h"
#include "nl_wait.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace ipvs {
namespace {

// Receive and send buffer we ask for. As root SO_*BUFFORCE passes rmem_max;
// otherwise the kernel caps it and the batch window shrinks to fit.
constexpr int kWantedBufferBytes = 8 << 20;
// Budget per queued ACK in the receive buffer: measured at about 830 bytes of
// skb truesize each; 1024 keeps a margin so no ACK is ever dropped.
constexpr size_t kAckBudgetBytes = 1024;
constexpr size_t kMaxChunkBytes = 64 << 10;
// Receive slots: large ones hold the biggest skb a netlink dump sends (32
// KiB), two so that a short dump and its NLMSG_DONE come in one call; small
// ones hold ACKs (36 bytes with NETLINK_CAP_ACK), many per call.
constexpr size_t kLargeSlots = 2;
constexpr size_t kLargeSlotBytes = 64 << 10;
constexpr size_t kSmallSlots = 256;
constexpr size_t kSmallSlotBytes = 256;

void SetBuffer(int fd, int forceOpt, int opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, forceOpt, &bytes, sizeof(bytes)) != 0)
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

int GetBuffer(int fd, int opt) {
  int bytes = 0;
  socklen_t len = sizeof(bytes);
  getsockopt(fd, SOL_SOCKET, opt, &bytes, &len);
  return bytes;
}

// The kernel's error code from an NLMSG_ERROR message: 0 for an ACK.
int AckError(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int))) return EPROTO;
  int error;
  memcpy(&error, NLMSG_DATA(nlh), sizeof(error));
  return error < 0 ? -error : error;
}

}  // namespace

Outcome Channel::Open(const std::string& nsPath, int timeoutMs, std::shared_ptr<Channel>* out) {
  std::shared_ptr<Channel> ch(new Channel());
  ch->wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ch->wakeFd_ < 0) return Outcome::Fail(errno, "creating the wake-up eventfd");
  ch->large_.Init(kLargeSlots, kLargeSlotBytes);
  ch->small_.Init(kSmallSlots, kSmallSlotBytes);
  if (!nsPath.empty()) {
    Outcome o = OpenNetnsFile(nsPath, &ch->nsFd_);
    if (!o.ok()) return o;
  }
  Outcome o = ch->Connect(timeoutMs);
  if (!o.ok()) return o;
  *out = std::move(ch);
  return Outcome::Ok();
}

Channel::~Channel() {
  Disconnect();
  if (nsFd_ >= 0) close(nsFd_);
  if (wakeFd_ >= 0) close(wakeFd_);
}

void Channel::Cancel() {
  cancelled_ = true;
  uint64_t one = 1;
  // The eventfd counter cannot overflow from a handful of writes; a failed
  // write still leaves cancelled_ set for the next check.
  (void)!write(wakeFd_, &one, sizeof(one));
}

Outcome Channel::Connect(int timeoutMs) {
  Deadline deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  Outcome o = nsFd_ >= 0 ? RunInNetns(nsFd_, [this]() { return ConnectHere(); }) : ConnectHere();
  if (!o.ok()) return o;
  o = ResolveFamily(deadline);
  if (!o.ok()) Disconnect();
  return o;
}

Outcome Channel::ConnectHere() {
  sock_ = nl_socket_alloc();
  if (!sock_) return Outcome::Fail(ENOMEM, "allocating a netlink socket");
  nl_socket_disable_auto_ack(sock_);
  if (nl_connect(sock_, NETLINK_GENERIC) < 0) {
    int err = errno ? errno : EPROTO;
    Disconnect();
    return Outcome::Fail(err, "opening a generic netlink socket");
  }
  fd_ = nl_socket_get_fd(sock_);
  localPort_ = nl_socket_get_local_port(sock_);
  nl_socket_set_nonblocking(sock_);
  SetBuffer(fd_, SO_RCVBUFFORCE, SO_RCVBUF, kWantedBufferBytes);
  SetBuffer(fd_, SO_SNDBUFFORCE, SO_SNDBUF, kWantedBufferBytes);
  int one = 1;
  // Error ACKs without a copy of the request: smaller, so more fit.
  setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  window_ = std::max<size_t>(1, GetBuffer(fd_, SO_RCVBUF) / kAckBudgetBytes);
  size_t sndbuf = GetBuffer(fd_, SO_SNDBUF);
  chunkBytes_ = std::min(kMaxChunkBytes, sndbuf > 8192 ? sndbuf - 4096 : sndbuf / 2);
  return Outcome::Ok();
}

void Channel::Disconnect() {
  if (sock_) nl_socket_free(sock_);  // closes fd_
  sock_ = nullptr;
  fd_ = -1;
}

// A timed-out or overrun exchange may leave replies (or an open dump) on the
// socket; a fresh socket guarantees the next call starts clean.
Outcome Channel::Reconnect(const Outcome& cause) {
  Disconnect();
  if (!cancelled_) Connect(1000);
  return cause;
}

uint32_t Channel::NextSeq(uint32_t count) {
  uint32_t first = seq_;
  seq_ += count;
  if (seq_ == 0) seq_ = 1;
  return first;
}

// strict: see nl_wait.h. ACKs and single answers are finite and already
// queued, so they are still read after the deadline: their outcome is known,
// not "unknown".
Outcome Channel::WaitReadable(Deadline deadline, bool strict) {
  return ipvs::WaitReadable(fd_, wakeFd_, &cancelled_, deadline, strict);
}

Outcome Channel::SendAll(const uint8_t* data, size_t len, Deadline deadline) {
  for (;;) {
    ssize_t sent = send(fd_, data, len, 0);
    if (sent == static_cast<ssize_t>(len)) return Outcome::Ok();
    if (sent >= 0) return Outcome::Fail(EMSGSIZE, "sending to the kernel");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Outcome::Fail(errno, "sending to the kernel");
    pollfd pfd = {fd_, POLLOUT, 0};
    if (poll(&pfd, 1, RemainingMs(deadline)) == 0)
      return Outcome::Fail(ETIMEDOUT, "sending to the kernel");
  }
}

// Reads datagrams until onMessage returns true (finished) for one of their
// messages. Messages of other sequences or ports (left over from an earlier
// exchange) are passed through too; onMessage decides what is its own.
// recvmmsg reads what is queued without waiting first (the kernel answers
// during sendmsg, so it usually is), several datagrams per system call:
// system calls are what bulk work costs, most of all in user-mode Linux.
Outcome Channel::Receive(Deadline deadline, bool strict, bool small,
                         const std::function<bool(const nlmsghdr*)>& onMessage) {
  RxSlots& rx = small ? small_ : large_;
  // Reading the clock is a system call in user-mode Linux (no vDSO): check
  // the deadline of a dump that keeps data coming only every few reads.
  for (unsigned reads = 0;; reads++) {
    if (cancelled_) return Outcome::Fail(ECANCELED, "waiting for the kernel");
    if (strict && reads % 16 == 15 && Clock::now() >= deadline)
      return Outcome::Fail(ETIMEDOUT, "waiting for the kernel's answer");
    rx.Reset();
    int got = recvmmsg(fd_, rx.headers.data(), static_cast<unsigned>(rx.headers.size()), MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return Outcome::Fail(errno, "reading from the kernel");
      Outcome o = WaitReadable(deadline, strict);
      if (!o.ok()) return o;
      continue;
    }
    bool finished = false;
    for (int m = 0; m < got; m++) {
      int len = static_cast<int>(rx.headers[m].msg_len);
      // Small slots are for ACKs, whose header and error code always fit; a
      // longer datagram there can only be data nobody waits for.
      if ((rx.headers[m].msg_hdr.msg_flags & MSG_TRUNC) && !small)
        return Outcome::Fail(EMSGSIZE, "reading from the kernel");
      len = std::min(len, static_cast<int>(rx.slotBytes));
      for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(rx.Slot(m)); NLMSG_OK(nlh, len);
           nlh = NLMSG_NEXT(nlh, len)) {
        if (nlh->nlmsg_pid != localPort_) continue;
        if (onMessage(nlh)) finished = true;
      }
    }
    if (finished) return Outcome::Ok();
  }
}

void Channel::RxSlots::Init(size_t count, size_t bytes) {
  slotBytes = bytes;
  buffer.assign(count * bytes, 0);
  iovecs.resize(count);
  headers.resize(count);
}

void Channel::RxSlots::Reset() {
  for (size_t i = 0; i < headers.size(); i++) {
    iovecs[i] = {Slot(i), slotBytes};
    headers[i] = {};
    headers[i].msg_hdr.msg_iov = &iovecs[i];
    headers[i].msg_hdr.msg_iovlen = 1;
  }
}

// Sends one request and reads its answer: data messages go to onData (which
// returns 0 or an errno), then the closing ACK, error or NLMSG_DONE. A
// transport failure (timeout, overrun, cancel) sets *dirty: the socket may
// still hold part of the answer.
Outcome Channel::RoundTrip(nl_msg* msg, Deadline deadline, const DataHandler& onData, bool* dirty) {
  *dirty = false;
  nlmsghdr* hdr = nlmsg_hdr(msg);
  uint32_t seq = hdr->nlmsg_seq;
  uint32_t flags = hdr->nlmsg_flags;
  Outcome o = SendAll(reinterpret_cast<const uint8_t*>(hdr), hdr->nlmsg_len, deadline);
  nlmsg_free(msg);
  if (!o.ok()) {
    *dirty = true;
    return o;
  }
  int kernelErr = 0, dataErr = 0;
  bool dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
  o = Receive(deadline, dump, false, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_seq != seq) return false;
    if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
      kernelErr = AckError(nlh);
      return true;
    }
    if (nlh->nlmsg_type < NLMSG_MIN_TYPE) return false;
    // Keep reading to the end after a bad message so the socket stays clean.
    int err = onData(nlh);
    if (err && !dataErr) dataErr = err;
    return false;
  });
  if (!o.ok()) {
    *dirty = true;
    return o;
  }
  if (kernelErr) return Outcome::Fail(kernelErr, "kernel");
  if (dataErr) return Outcome::Fail(dataErr, "decoding the kernel's answer");
  return Outcome::Ok();
}

Outcome Channel::ResolveFamily(Deadline deadline) {
  nl_msg* msg = nlmsg_alloc();
  if (!msg) return Outcome::Fail(ENOMEM, "resolving the IPVS generic netlink family");
  if (!genlmsg_put(msg, NL_AUTO_PORT, NextSeq(1), GENL_ID_CTRL, 0, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1) ||
      nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, IPVS_GENL_NAME) < 0) {
    nlmsg_free(msg);
    return Outcome::Fail(ENOMEM, "resolving the IPVS generic netlink family");
  }
  nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
  int id = 0;
  bool dirty = false;
  Outcome o = RoundTrip(msg, deadline, [&](const nlmsghdr* nlh) {
    nla_policy policy[CTRL_ATTR_MAX + 1] = {};
    policy[CTRL_ATTR_FAMILY_ID].type = NLA_U16;
    nlattr* tb[CTRL_ATTR_MAX + 1];
    if (genlmsg_parse(const_cast<nlmsghdr*>(nlh), 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
        !tb[CTRL_ATTR_FAMILY_ID])
      return EPROTO;
    id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
    return 0;
  }, &dirty);
  if (!o.ok()) return Outcome::Fail(o.err, "resolving the IPVS generic netlink family");
  if (id == 0) return Outcome::Fail(EPROTO, "resolving the IPVS generic netlink family");
  family_ = id;
  return Outcome::Ok();
}

Outcome Channel::Query(const Request& request, int timeoutMs, std::vector<Record>* records) {
  return Query(request, Clock::now() + std::chrono::milliseconds(timeoutMs), records);
}

Outcome Channel::Query(const Request& request, Deadline deadline, std::vector<Record>* records, bool withStats) {
  return QueryEach(request, deadline, withStats, [records](Record& record) {
    records->push_back(std::move(record));
    return 0;
  });
}

Outcome Channel::QueryEach(const Request& request, Deadline deadline, bool withStats, const RecordHandler& onRecord) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cancelled_) return Outcome::Fail(ECANCELED, "client closed");
  if (!sock_) {
    Outcome o = Connect(std::max(1, RemainingMs(deadline)));
    if (!o.ok()) return o;
  }
  nl_msg* msg = EncodeRequest(request, family_, NextSeq(1));
  if (!msg) return Outcome::Fail(ENOMEM, "building the request");
  bool dirty = false;
  Record record;
  Outcome o = RoundTrip(msg, deadline, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != family_) return 0;
    record = Record();
    int err = DecodeRecord(nlh, &record, withStats);
    if (err) return -err;
    return onRecord(record);
  }, &dirty);
  return dirty ? Reconnect(o) : o;
}

Outcome Channel::Execute(const std::vector<Request>& requests, int timeoutMs,
                         std::vector<int>* status) {
  std::lock_guard<std::mutex> lock(mu_);
  Deadline deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  status->assign(requests.size(), kStatusNotSent);
  if (cancelled_) return Outcome::Fail(ECANCELED, "client closed");
  if (!sock_) {
    Outcome o = Connect(timeoutMs);
    if (!o.ok()) return o;
  }
  const uint32_t n = static_cast<uint32_t>(requests.size());
  const uint32_t base = NextSeq(n);
  std::vector<uint8_t> chunk;
  chunk.reserve(chunkBytes_);
  uint32_t next = 0;
  while (next < n) {
    // Fill one sendmsg: no more requests than ACKs fit in the receive buffer.
    // The kernel handles a netlink sendmsg synchronously, so every ACK of the
    // chunk is queued by the time send() returns.
    chunk.clear();
    uint32_t first = next;
    while (next < n && next - first < window_) {
      nl_msg* msg = EncodeRequest(requests[next], family_, base + next);
      if (!msg) return Outcome::Fail(ENOMEM, "building the request");
      nlmsghdr* hdr = nlmsg_hdr(msg);
      size_t len = NLMSG_ALIGN(hdr->nlmsg_len);
      if (!chunk.empty() && chunk.size() + len > chunkBytes_) {
        nlmsg_free(msg);
        break;
      }
      const uint8_t* bytes = reinterpret_cast<const uint8_t*>(hdr);
      chunk.insert(chunk.end(), bytes, bytes + hdr->nlmsg_len);
      chunk.resize(chunk.size() + (len - hdr->nlmsg_len), 0);
      nlmsg_free(msg);
      next++;
    }
    Outcome o = SendAll(chunk.data(), chunk.size(), deadline);
    if (!o.ok()) return Reconnect(o);
    for (uint32_t i = first; i < next; i++) (*status)[i] = kStatusUnknown;
    uint32_t waiting = next - first;
    o = Receive(deadline, false, true, [&](const nlmsghdr* nlh) {
      uint32_t index = nlh->nlmsg_seq - base;  // wraps safely in uint32_t
      if (nlh->nlmsg_type != NLMSG_ERROR || index < first || index >= next) return false;
      if ((*status)[index] == kStatusUnknown) {
        (*status)[index] = AckError(nlh);
        waiting--;
      }
      return waiting == 0;
    });
    if (!o.ok()) return Reconnect(o);
  }
  return Outcome::Ok();
}

}  // namespace ipvs
