// A sanitizer and valgrind harness for the VRRP wire layer (no N-API): built
// with ASan/UBSan/LSan by test/unit/vrrp-packet-sanitizers.test.ts, it checks
// keepalived's captured adverts, round trips random adverts, and feeds the
// decoders 300,000 mutated, truncated and random packets in exact-size heap
// blocks (any overread is a report). With "kernel NS_A NS_B" (two namespaces
// joined by veth va/vb, run under valgrind by test/kernel/vrrp-socket.test.ts)
// it opens sockets in both, sends and receives both families, refuses what it
// must, and announces addresses.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../vrrp_announce.h"
#include "../vrrp_packet.h"
#include "../vrrp_socket.h"
#include "check.h"

using namespace vrrp;


static std::vector<uint8_t> Hex(const char* hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex + i, 2), nullptr, 16)));
  return out;
}

static Ip Addr(int family, const char* text) {
  Ip ip;
  ip.family = family;
  inet_pton(family, text, ip.bytes);
  return ip;
}

// keepalived 2.2.7's adverts, captured in the sandbox (test/unit/vrrp-packet.test.ts has the same bytes).
static const char* kKeepalived4 = "45c0002400040000ff701892c0000201e00000123133640200644307c0000264c0000265";
static const char* kKeepalived6 = "3134960100320cb720010db8000000000000000000000100";

static void Fixtures() {
  std::vector<uint8_t> v4 = Hex(kKeepalived4);
  Advert a;
  CHECK(DecodeIpv4(v4.data(), v4.size(), &a) == Drop::kNone);
  CHECK(a.vrid == 51 && a.priority == 100 && a.intervalCs == 100 && a.addresses.size() == 2);
  std::vector<uint8_t> mine;
  std::string err;
  CHECK(EncodeAdvert(a, Addr(AF_INET, "192.0.2.1"), Addr(AF_INET, "224.0.0.18"), &mine, &err));
  CHECK(mine == std::vector<uint8_t>(v4.begin() + 20, v4.end()));

  std::vector<uint8_t> v6 = Hex(kKeepalived6);
  Ip src = Addr(AF_INET6, "fe80::ff:fe00:a"), dst = Addr(AF_INET6, "ff02::12");
  CHECK(DecodeIpv6(v6.data(), v6.size(), src, dst, 255, &a) == Drop::kNone);
  CHECK(a.vrid == 52 && a.priority == 150 && a.intervalCs == 50 && a.addresses.size() == 1);
  CHECK(DecodeIpv6(v6.data(), v6.size(), src, dst, 64, &a) == Drop::kTtl);
  CHECK(DecodeIpv6(v6.data(), v6.size(), Addr(AF_INET6, "fe80::1"), dst, 255, &a) == Drop::kChecksum);
  CHECK(EncodeAdvert(a, src, dst, &mine, &err) && mine == v6);
}

static Advert RandomAdvert(std::mt19937& rng) {
  Advert a;
  a.family = rng() % 2 ? AF_INET : AF_INET6;
  a.vrid = static_cast<uint8_t>(1 + rng() % 255);
  a.priority = static_cast<uint8_t>(rng());
  a.intervalCs = static_cast<uint16_t>(1 + rng() % 4095);
  size_t n = 1 + rng() % (rng() % 8 == 0 ? 255 : 4);
  for (size_t i = 0; i < n; i++) {
    Ip ip;
    ip.family = a.family;
    for (auto& b : ip.bytes) b = static_cast<uint8_t>(rng());
    if (a.family == AF_INET) memset(ip.bytes + 4, 0, 12);
    a.addresses.push_back(ip);
  }
  return a;
}

// An IPv4 datagram around a message, as the kernel would deliver it.
static std::vector<uint8_t> Ipv4(const std::vector<uint8_t>& message, const Ip& src, const Ip& dst, uint8_t ttl) {
  std::vector<uint8_t> d(20, 0);
  d[0] = 0x45;
  d[2] = static_cast<uint8_t>((20 + message.size()) >> 8);
  d[3] = static_cast<uint8_t>(20 + message.size());
  d[8] = ttl;
  d[9] = kProtocol;
  memcpy(d.data() + 12, src.bytes, 4);
  memcpy(d.data() + 16, dst.bytes, 4);
  d.insert(d.end(), message.begin(), message.end());
  return d;
}

static void RoundTripsAndFuzz() {
  std::mt19937 rng(5798);
  for (int i = 0; i < 20000; i++) {
    Advert a = RandomAdvert(rng);
    Ip src = RandomAdvert(rng).addresses[0], dst = src;
    src.family = dst.family = a.family;
    if (a.family == AF_INET) memset(src.bytes + 4, 0, 12), memset(dst.bytes + 4, 0, 12);
    dst.bytes[0] ^= 1;
    std::vector<uint8_t> m;
    std::string err;
    CHECK(EncodeAdvert(a, src, dst, &m, &err));
    Advert back;
    Drop d = a.family == AF_INET ? DecodeIpv4(Ipv4(m, src, dst, 255).data(), m.size() + 20, &back)
                                 : DecodeIpv6(m.data(), m.size(), src, dst, 255, &back);
    CHECK(d == Drop::kNone);
    CHECK(back.vrid == a.vrid && back.priority == a.priority && back.intervalCs == a.intervalCs);
    CHECK(back.addresses.size() == a.addresses.size() && memcmp(back.addresses.back().bytes, a.addresses.back().bytes, 16) == 0);
  }
  Advert bad;
  bad.family = AF_INET;
  bad.vrid = 1;
  bad.intervalCs = 4096;
  bad.addresses.push_back(Addr(AF_INET, "192.0.2.1"));
  std::vector<uint8_t> m;
  std::string err;
  CHECK(!EncodeAdvert(bad, Addr(AF_INET, "192.0.2.1"), Addr(AF_INET, "224.0.0.18"), &m, &err));
  bad.intervalCs = 1;
  bad.vrid = 0;
  CHECK(!EncodeAdvert(bad, Addr(AF_INET, "192.0.2.1"), Addr(AF_INET, "224.0.0.18"), &m, &err));
  bad.vrid = 1;
  CHECK(!EncodeAdvert(bad, Addr(AF_INET6, "fe80::1"), Addr(AF_INET, "224.0.0.18"), &m, &err));

  // Mutations of valid packets, cut or grown, and pure noise: each decodes or drops, nothing else.
  std::vector<uint8_t> base4 = Hex(kKeepalived4), base6 = Hex(kKeepalived6);
  Ip src6 = Addr(AF_INET6, "fe80::ff:fe00:a"), dst6 = Addr(AF_INET6, "ff02::12");
  size_t decoded = 0;
  for (int i = 0; i < 300000; i++) {
    std::vector<uint8_t> p = i % 2 ? base4 : base6;
    if (i % 7 == 0) p.resize(rng() % (p.size() + 1));
    if (i % 11 == 0) p.resize(p.size() + 1 + rng() % 64, static_cast<uint8_t>(rng()));
    if (i % 13 == 0) {
      p.resize(rng() % 1200);
      for (auto& b : p) b = static_cast<uint8_t>(rng());
    }
    for (int k = 0; !p.empty() && k < static_cast<int>(i % 4); k++) p[rng() % p.size()] = static_cast<uint8_t>(rng());
    std::vector<uint8_t> exact(p);  // exact size: ASan sees any read past the end
    Advert out;
    Drop d = i % 2 ? DecodeIpv4(exact.data(), exact.size(), &out)
                   : DecodeIpv6(exact.data(), exact.size(), src6, dst6, static_cast<int>(rng() % 2 ? 255 : rng() % 256), &out);
    CHECK(static_cast<size_t>(d) < kDropKinds);
    if (d == Drop::kNone) {
      decoded++;
      CHECK(out.intervalCs >= 1 && out.intervalCs <= 4095 && !out.addresses.empty());
    }
  }
  CHECK(decoded > 1000);  // the untouched copies among them decode
}

static void Frames() {
  const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x0a};
  std::vector<uint8_t> garp = GratuitousArp(mac, Addr(AF_INET, "192.0.2.100").bytes);
  CHECK(garp.size() == 42 && garp[12] == 0x08 && garp[13] == 0x06 && garp[21] == 1);
  std::vector<uint8_t> na = UnsolicitedNa(mac, Addr(AF_INET6, "2001:db8::100").bytes, false);
  CHECK(na.size() == 14 + 40 + 32 && na[14 + 7] == 255 && na[54] == 136 && na[58] == 0x20);
  // The ICMPv6 checksum verifies: the sum over pseudo-header and message folds to 0.
  Ip s = Addr(AF_INET6, "2001:db8::100"), d = Addr(AF_INET6, "ff02::1");
  uint32_t acc = 0;
  for (int i = 0; i < 16; i += 2) acc += (s.bytes[i] << 8 | s.bytes[i + 1]) + (d.bytes[i] << 8 | d.bytes[i + 1]);
  acc += 32 + 58;
  for (size_t i = 54; i + 1 < na.size(); i += 2) acc += na[i] << 8 | na[i + 1];
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  CHECK(acc == 0xffff);
}

// Two namespaces joined by va (in nsA, 192.0.2.1) and vb (in nsB).
static void Kernel(const std::string& nsA, const std::string& nsB) {
  auto later = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int family : {AF_INET, AF_INET6}) {
    SocketOptions ra, rb;
    ra.family = rb.family = family;
    ra.ifname = "va";
    ra.nsPath = nsA;
    rb.ifname = "vb";
    rb.nsPath = nsB;
    std::unique_ptr<Socket> a, b;
    CHECK(Socket::Open(ra, later, &a).ok());
    CHECK(Socket::Open(rb, later, &b).ok());
    if (!a || !b) return;
    Advert adv;
    adv.family = family;
    adv.vrid = 42;
    adv.priority = 100;
    adv.intervalCs = 100;
    adv.addresses.push_back(family == AF_INET ? Addr(AF_INET, "192.0.2.100") : Addr(AF_INET6, "2001:db8::100"));
    for (int i = 0; i < 200; i++) CHECK(a->Send(adv).ok());
    int got = 0;
    for (int spins = 0; got < 200 && spins < 400; spins++) {
      pollfd p = {b->fd(), POLLIN, 0};
      poll(&p, 1, 50);
      Advert in;
      Drop drop;
      int err = 0;
      while (true) {
        Socket::Read r = b->Receive(&in, &drop, &err);
        if (r == Socket::Read::kAdvert && in.vrid == 42) got++;
        if (r == Socket::Read::kEmpty || r == Socket::Read::kError) break;
      }
    }
    CHECK(got == 200);
    CHECK(b->stats().received >= 200 && a->stats().sent == 200);
  }
  SocketOptions none;
  none.family = AF_INET;
  none.ifname = "nosuch0";
  none.nsPath = nsA;
  std::unique_ptr<Socket> s;
  CHECK(Socket::Open(none, later, &s).err == ENODEV);
  none.ifname = "va";
  CHECK(Socket::Open(none, std::chrono::steady_clock::now(), &s).err == ETIMEDOUT);
  none.nsPath = "/etc/hostname";
  CHECK(Socket::Open(none, later, &s).err == EINVAL);
  int sent = 0;
  CHECK(Announce(nsA, "va", {Addr(AF_INET, "192.0.2.100"), Addr(AF_INET6, "2001:db8::100")}, false, later, &sent).ok() && sent == 2);
  CHECK(Announce(nsA, "lo", {Addr(AF_INET, "192.0.2.100")}, false, later, &sent).err == EOPNOTSUPP);
  CHECK(Announce(nsA, "va", {Addr(AF_INET, "192.0.2.100")}, false, std::chrono::steady_clock::now(), &sent).err == ETIMEDOUT);
}

int main(int argc, char** argv) {
  Fixtures();
  RoundTripsAndFuzz();
  Frames();
  bool kernel = argc > 3 && std::string(argv[1]) == "kernel";
  if (kernel) Kernel(argv[2], argv[3]);
  printf("%s: %d failures\n", kernel ? "kernel" : "codec", failures);
  return failures == 0 ? 0 : 1;
}
