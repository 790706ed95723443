// A sanitizer harness for the native core (no N-API): built with
// AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer by
// test/unit/native-sanitizers.test.ts. It round-trips every request kind
// through the encoder and decoder, fuzzes the decoder, and with "kernel"
// drives a real Channel: batches, dumps, a deadline, a cancel; and the
// rtnetlink calls of the host helpers on a given (down, address-less) interface,
// their deadlines included; and ReadTable (the table in one run), as entries and packed.
// The connection-file reader (proc_net_read.cc): its refusals always, its
// reads (here and through a namespace thread, and a past deadline) with "kernel".
#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netlink/msg.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ipvs_message.h"
#include "../link_watch.h"
#include "../netns.h"
#include "../nl_channel.h"
#include "../nl_wait.h"
#include "../proc_net_read.h"
#include "../rtnl.h"
#include "../table_pack.h"
#include "../table_read.h"
#include "check.h"

using namespace ipvs;


static Service MakeService(uint16_t port) {
  Service s;
  s.key.family = AF_INET;
  s.key.protocol = IPPROTO_TCP;
  ParseAddress(AF_INET, "192.0.2.1", &s.key.address);
  s.key.port = port;
  s.scheduler = "rr";
  s.flags = IP_VS_SVC_F_PERSISTENT;
  s.timeout = 300;
  s.netmask = 0xffffff00;
  return s;
}

static std::vector<uint8_t> Bytes(nl_msg* msg) {
  nlmsghdr* h = nlmsg_hdr(msg);
  std::vector<uint8_t> out(reinterpret_cast<uint8_t*>(h), reinterpret_cast<uint8_t*>(h) + h->nlmsg_len);
  nlmsg_free(msg);
  return out;
}

static void CodecRoundTrip() {
  Request r;
  r.cmd = IPVS_CMD_NEW_DEST;
  r.hasService = true;
  r.service = MakeService(80);
  r.hasDestination = true;
  ParseAddress(AF_INET6, "2001:db8::5", &r.destination.address);
  r.destination.port = 8080;
  r.destination.forwarding = IP_VS_CONN_F_TUNNEL;
  r.destination.weight = 7;
  r.destination.upperThreshold = 9;
  r.destination.lowerThreshold = 3;
  r.destination.hasTunnel = true;
  r.destination.tunnelType = IP_VS_CONN_F_TUNNEL_TYPE_GUE;
  r.destination.tunnelPort = 6080;
  r.destination.tunnelFlags = IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
  std::vector<uint8_t> bytes = Bytes(EncodeRequest(r, 30, 1));
  Record rec;
  CHECK(DecodeRecord(reinterpret_cast<nlmsghdr*>(bytes.data()), &rec) == 0);
  CHECK(rec.hasDestination && rec.destination.port == 8080 && rec.destination.weight == 7);
  CHECK(rec.destination.tunnelPort == 6080 && FormatAddress(rec.destination.address) == "2001:db8::5");

  r = Request();
  r.cmd = IPVS_CMD_NEW_SERVICE;
  r.hasService = true;
  r.service = MakeService(443);
  r.service.persistenceEngine = "sip";
  bytes = Bytes(EncodeRequest(r, 30, 2));
  CHECK(DecodeRecord(reinterpret_cast<nlmsghdr*>(bytes.data()), &rec) == 0);
  CHECK(rec.service.key.port == 443 && rec.service.netmask == 0xffffff00 && rec.service.persistenceEngine == "sip");

  r = Request();
  r.cmd = IPVS_CMD_NEW_DAEMON;
  r.hasDaemon = true;
  r.daemon.state = IP_VS_STATE_BACKUP;
  r.daemon.interface = "eth0";
  r.daemon.hasGroup = true;
  ParseAddress(AF_INET6, "ff02::1:81", &r.daemon.group);
  bytes = Bytes(EncodeRequest(r, 30, 3));
  CHECK(DecodeRecord(reinterpret_cast<nlmsghdr*>(bytes.data()), &rec) == 0);
  CHECK(rec.hasDaemon && rec.daemon.interface == "eth0" && FormatAddress(rec.daemon.group) == "ff02::1:81");

  // Fuzz: mutated and truncated copies must decode or fail, never misbehave.
  std::mt19937 rng(42);
  std::vector<uint8_t> base = Bytes(EncodeRequest(r, 30, 3));
  r.cmd = IPVS_CMD_NEW_DEST;
  r.hasService = r.hasDestination = true;
  r.service = MakeService(1);
  std::vector<uint8_t> base2 = Bytes(EncodeRequest(r, 30, 4));
  for (int i = 0; i < 200000; i++) {
    std::vector<uint8_t> m = (i & 1) ? base : base2;
    size_t cut = sizeof(nlmsghdr) + GENL_HDRLEN + rng() % (m.size() - sizeof(nlmsghdr) - GENL_HDRLEN + 1);
    m.resize(i % 3 == 0 ? cut : m.size());
    for (int k = 0; k < 1 + i % 5; k++) m[sizeof(nlmsghdr) + rng() % (m.size() - sizeof(nlmsghdr))] = rng();
    reinterpret_cast<nlmsghdr*>(m.data())->nlmsg_len = m.size();
    std::vector<uint8_t> exact(m);  // an exact-size heap block: ASan sees any overread
    Record out;
    DecodeRecord(reinterpret_cast<nlmsghdr*>(exact.data()), &out);
  }
}

static void KernelChecks() {
  std::shared_ptr<Channel> ch;
  Outcome o = Channel::Open("", 5000, &ch);
  CHECK(o.ok());
  if (!o.ok()) return;
  std::vector<Request> flush(1);
  flush[0].cmd = IPVS_CMD_FLUSH;
  std::vector<int> status;
  CHECK(ch->Execute(flush, 5000, &status).ok() && status[0] == 0);

  std::vector<Request> adds;
  for (int i = 0; i < 3000; i++) {
    Request r;
    r.cmd = IPVS_CMD_NEW_SERVICE;
    r.hasService = true;
    r.service = MakeService(static_cast<uint16_t>(1 + i % 2999));  // the last one repeats: EEXIST
    adds.push_back(r);
  }
  CHECK(ch->Execute(adds, 120000, &status).ok());
  CHECK(status.size() == 3000 && status[0] == 0 && status[2998] == 0 && status[2999] == EEXIST);

  Request dump;
  dump.cmd = IPVS_CMD_GET_SERVICE;
  dump.dump = true;
  std::vector<Record> records;
  CHECK(ch->Query(dump, 120000, &records).ok() && records.size() == 2999);

  records.clear();
  o = ch->Query(dump, 1, &records);
  CHECK(o.err == ETIMEDOUT);
  records.clear();
  CHECK(ch->Query(dump, 120000, &records).ok() && records.size() == 2999);

  // The table in one run: every service once, with its destinations; with
  // withStats false nothing carries counters (they are not even decoded).
  std::vector<Request> dests;
  for (uint16_t port : {1, 2}) {
    for (const char* addr : {"198.51.100.1", "198.51.100.2"}) {
      Request r;
      r.cmd = IPVS_CMD_NEW_DEST;
      r.hasService = r.hasDestination = true;
      r.service = MakeService(port);
      ParseAddress(AF_INET, addr, &r.destination.address);
      r.destination.port = 8080;
      r.destination.weight = 3;
      dests.push_back(r);
    }
  }
  CHECK(ch->Execute(dests, 5000, &status).ok() && status[0] == 0 && status[3] == 0);
  for (bool withStats : {true, false}) {
    std::vector<TableEntry> table;
    CHECK(ReadTable(*ch, Channel::Clock::now() + std::chrono::seconds(120), withStats, &table).ok());
    CHECK(table.size() == 2999);
    size_t withDests = 0, counted = 0;
    for (const TableEntry& e : table) {
      if (e.service.hasStats) counted++;
      if (e.destinations.empty()) continue;
      withDests++;
      CHECK(e.destinations.size() == 2 && e.destinations[0].weight == 3 && e.destinations[1].port == 8080);
      CHECK(e.service.key.port == 1 || e.service.key.port == 2);
      for (const Destination& d : e.destinations) counted += d.hasStats;
    }
    CHECK(withDests == 2);
    CHECK(withStats ? counted == 2999 + 4 : counted == 0);
  }
  std::vector<TableEntry> table;
  CHECK(ReadTable(*ch, Channel::Clock::now() - std::chrono::milliseconds(1), false, &table).err == ETIMEDOUT);
  CHECK(ReadTable(*ch, Channel::Clock::now() + std::chrono::seconds(120), false, &table).ok() && table.size() == 2999);
  // Packed as read: each service's words, its destination count last, then its destinations'.
  PackedTable packed;
  TablePacker packer(&packed, 16);
  CHECK(ReadTable(*ch, Channel::Clock::now() + std::chrono::seconds(120), false, &packer).ok());
  CHECK(packed.words.size() == 2999 * kServiceWords + 4 * kDestinationWords);
  size_t services = 0, destinations = 0;
  for (size_t o = 0; o < packed.words.size(); services++) {
    uint32_t n = packed.words[o + kServiceWords - 1];
    destinations += n;
    for (uint32_t j = 0; j < n; j++) CHECK(packed.words[o + kServiceWords + j * kDestinationWords + 4] == 3);  // weight
    o += kServiceWords + n * kDestinationWords;
  }
  CHECK(services == 2999 && destinations == 4);

  Request missing;
  missing.cmd = IPVS_CMD_GET_SERVICE;
  missing.hasService = true;
  missing.service = MakeService(4000);
  records.clear();
  CHECK(ch->Query(missing, 5000, &records).err == ESRCH);

  // Cancel from another thread while a dump is under way or about to start.
  std::thread canceller([ch]() {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ch->Cancel();
  });
  for (int i = 0; i < 50; i++) {
    records.clear();
    if (ch->Query(dump, 30000, &records).err == ECANCELED) break;
  }
  canceller.join();
  CHECK(ch->Query(dump, 1000, &records).err == ECANCELED);

  std::shared_ptr<Channel> other;
  CHECK(Channel::Open("/etc/hostname", 1000, &other).err == EINVAL);
  CHECK(Channel::Open("/nonexistent/ns", 1000, &other).err == ENOENT);
}

static InterfaceAddress MakeAddress(uint16_t family, const char* text, int prefix) {
  InterfaceAddress a;
  ParseAddress(family, text, &a.address);
  a.prefix = prefix;
  return a;
}

static Route DefaultVia(uint16_t family, const char* gateway) {
  Route r;
  r.family = family;
  r.hasGateway = true;
  ParseAddress(family, gateway, &r.gateway);
  return r;
}

// Every rtnetlink call, its success and its error paths, leaving ifname as it was.

// A link message as the kernel sends it: ifinfomsg, then IFLA_MTU and IFLA_IFNAME.
static std::vector<uint8_t> LinkMessage(uint16_t type, int index, unsigned flags, const char* name) {
  nl_msg* msg = nlmsg_alloc_simple(type, 0);
  ifinfomsg info = {};
  info.ifi_index = index;
  info.ifi_flags = flags;
  CHECK(nlmsg_append(msg, &info, sizeof info, NLMSG_ALIGNTO) == 0);
  CHECK(nla_put_u32(msg, IFLA_MTU, 1500) == 0);
  CHECK(nla_put_string(msg, IFLA_IFNAME, name) == 0);
  return Bytes(msg);
}

// The link watch's parser: what the kernel sends, then 200,000 mutated and
// truncated datagrams in exact-size heap blocks.
static void LinkEventParse() {
  std::vector<uint8_t> two = LinkMessage(RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING, "eth0");
  std::vector<uint8_t> gone = LinkMessage(RTM_DELLINK, 8, 0, "veth-long-name1");
  two.insert(two.end(), gone.begin(), gone.end());
  std::vector<LinkEvent> events;
  ParseLinkEvents(two.data(), two.size(), &events);
  CHECK(events.size() == 2);
  if (events.size() == 2) {
    CHECK(events[0].index == 7 && events[0].name == "eth0" && events[0].up && events[0].running && !events[0].removed);
    CHECK(events[1].index == 8 && events[1].name == "veth-long-name1" && !events[1].up && events[1].removed);
  }
  // A name without its NUL inside the attribute is no name.
  std::vector<uint8_t> cut = LinkMessage(RTM_NEWLINK, 9, IFF_UP, "eth1");
  cut[cut.size() - 4 + 3] = 'x';  // "eth1\0" padded to 8: the NUL sits at offset 4 of the value
  cut[cut.size() - 4] = 'x';
  events.clear();
  ParseLinkEvents(cut.data(), cut.size(), &events);
  CHECK(events.size() == 1 && events[0].index == 9 && events[0].name.empty());
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; i++) {
    std::vector<uint8_t> m = two;
    m.resize(i % 3 == 0 ? rng() % (m.size() + 1) : m.size());
    for (int k = 0; k < 1 + i % 5 && !m.empty(); k++) m[rng() % m.size()] = rng();
    std::vector<uint8_t> exact(m);
    std::vector<LinkEvent> out;
    ParseLinkEvents(exact.data(), exact.size(), &out);
    for (const auto& e : out) CHECK(e.name.size() < IFNAMSIZ);
  }
}

// Waits (up to 10 s) for a link event naming ifname with the given IFF_UP.
static bool SawLinkEvent(LinkWatch& watch, const std::string& ifname, bool up) {
  const auto end = SteadyClock::now() + std::chrono::seconds(10);
  while (SteadyClock::now() < end) {
    pollfd p = {watch.fd(), POLLIN, 0};
    if (poll(&p, 1, 100) < 0) return false;
    std::vector<LinkEvent> events;
    int err = 0;
    while (watch.Receive(&events, &err) == LinkWatch::Read::kEvents) {
    }
    for (const auto& e : events)
      if (e.name == ifname && e.up == up) return true;
  }
  return false;
}

static void RtnlChecks(const std::string& ifname) {
  // Each call's deadline; `later` is far enough for the sandbox kernel.
  const auto later = SteadyClock::now() + std::chrono::seconds(60);
  LinkState link;
  CHECK(GetLink(ifname, &link, later).ok() && !link.up);
  CHECK(GetLink("nosuch0", &link, later).err == ENODEV);
  std::unique_ptr<LinkWatch> watch;
  CHECK(LinkWatch::Open("", later, &watch).ok());
  CHECK(LinkWatch::Open("", SteadyClock::now(), &watch).err == ETIMEDOUT);
  CHECK(SetLinkUp(ifname, true, later).ok());
  CHECK(GetLink(ifname, &link, later).ok() && link.up);
  CHECK(watch && SawLinkEvent(*watch, ifname, true));

  InterfaceAddress v4 = MakeAddress(AF_INET, "192.0.2.99", 24);
  InterfaceAddress v6 = MakeAddress(AF_INET6, "2001:db8::99", 64);
  v6.noDad = true;
  v6.deprecated = true;
  CHECK(ChangeAddress(true, ifname, v4, later).ok());
  CHECK(ChangeAddress(true, ifname, v4, later).err == EEXIST);
  CHECK(ChangeAddress(true, ifname, v6, later).ok());
  std::vector<InterfaceAddress> list;
  CHECK(ListAddresses(ifname, &list, later).ok());
  int found = 0;
  for (const auto& a : list) found += (a.prefix == 24 && a.address.family == AF_INET) + (a.prefix == 64 && a.address.family == AF_INET6);
  CHECK(found >= 2);

  for (int round = 0; round < 20; round++) {
    Route r4 = DefaultVia(AF_INET, "192.0.2.1");
    Route r6 = DefaultVia(AF_INET6, "2001:db8::1");
    CHECK(ChangeRoute(true, r4, later).ok());
    CHECK(ChangeRoute(true, r6, later).ok());
    std::vector<Route> routes;
    CHECK(ListDefaultRoutes(AF_INET, &routes, later).ok() && routes.size() == 1 && routes[0].ifname == ifname);
    routes.clear();
    CHECK(ListDefaultRoutes(AF_INET6, &routes, later).ok() && routes.size() == 1 && routes[0].hasGateway);
    CHECK(ChangeRoute(false, r4, later).ok());
    CHECK(ChangeRoute(false, r6, later).ok());
  }
  CHECK(ChangeRoute(true, DefaultVia(AF_INET, "198.51.100.1"), later).err == ENETUNREACH);
  Route named = DefaultVia(AF_INET, "192.0.2.1");
  named.ifname = "nosuch0";
  CHECK(ChangeRoute(true, named, later).err == ENODEV);

  CHECK(ChangeAddress(false, ifname, v4, later).ok());
  CHECK(ChangeAddress(false, ifname, v6, later).ok());
  CHECK(ChangeAddress(false, ifname, v4, later).err == EADDRNOTAVAIL);
  CHECK(SetLinkUp(ifname, false, later).ok());
  CHECK(watch && SawLinkEvent(*watch, ifname, false));

  // Deadlines: a call whose deadline has passed sends nothing (the link stays down).
  const auto past = SteadyClock::now() - std::chrono::milliseconds(1);
  std::vector<Route> routes;
  CHECK(ListDefaultRoutes(AF_INET, &routes, past).err == ETIMEDOUT && routes.empty());
  CHECK(SetLinkUp(ifname, true, past).err == ETIMEDOUT);
  CHECK(GetLink(ifname, &link, later).ok() && !link.up);
}

// Namespace files from user input: anything but a network namespace is EINVAL
// at once. A FIFO must not block the open (it would wait for a writer forever).
static void NetnsFileChecks() {
  char dir[] = "/tmp/core-check-XXXXXX";
  CHECK(mkdtemp(dir) != nullptr);
  std::string fifo = std::string(dir) + "/fifo";
  CHECK(mkfifo(fifo.c_str(), 0600) == 0);
  int fd = -1;
  for (const std::string& path : {fifo, std::string(dir), std::string("/dev/null"), std::string("/proc/self/status")}) {
    CHECK(OpenNetnsFile(path, &fd).err == EINVAL && fd == -1);
  }
  CHECK(OpenNetnsFile(std::string(dir) + "/none", &fd).err == ENOENT);
  CHECK(OpenNetnsFile("/proc/self/ns/net", &fd).ok() && fd >= 0);
  if (fd >= 0) close(fd);
  unlink(fifo.c_str());
  rmdir(dir);
}

// The connection-file reader's refusals, which need no IPVS: another file's
// name, a path that is not a namespace, a namespace that does not exist.
static void ProcNetErrorChecks() {
  auto later = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<std::string> out;
  CHECK(ReadConnectionFiles("", {"../../etc/passwd"}, later, &out).err == EINVAL);
  CHECK(ReadConnectionFiles("", {"ip_vs_conn", "ip_vs_stats_percpu"}, later, &out).err == EINVAL);
  CHECK(ReadConnectionFiles("/etc/hostname", {"ip_vs_conn"}, later, &out).err == EINVAL);
  CHECK(ReadConnectionFiles("/nonexistent/netns", {"ip_vs_conn"}, later, &out).err == ENOENT);
}

// With IPVS: the connection files and the global counters whole, here and
// through a helper thread in a namespace; a deadline already past.
static void ProcNetKernelChecks() {
  auto later = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const char* ns : {"", "/proc/self/ns/net"}) {
    std::vector<std::string> out;
    CHECK(ReadConnectionFiles(ns, {"ip_vs_conn", "ip_vs_conn_sync"}, later, &out).ok());
    CHECK(out.size() == 2 && out[0].rfind("Pro FromIP", 0) == 0 && out[1].rfind("Pro FromIP", 0) == 0);
    std::vector<std::string> stats;
    CHECK(ReadConnectionFiles(ns, {"ip_vs_stats"}, later, &stats).ok());
    CHECK(stats.size() == 1 && stats[0].rfind("   Total Incoming", 0) == 0);
  }
  std::vector<std::string> out;
  CHECK(ReadConnectionFiles("", {"ip_vs_conn"}, std::chrono::steady_clock::now(), &out).err == ETIMEDOUT);
}

int main(int argc, char** argv) {
  CodecRoundTrip();
  LinkEventParse();
  NetnsFileChecks();
  ProcNetErrorChecks();
  if (argc > 1 && std::string(argv[1]) == "kernel") ProcNetKernelChecks();
  if (argc > 1 && std::string(argv[1]) == "kernel") KernelChecks();
  if (argc > 2 && std::string(argv[1]) == "kernel") RtnlChecks(argv[2]);
  printf("%s: %d failures\n", argc > 1 ? argv[1] : "codec", failures);
  return failures == 0 ? 0 : 1;
}
