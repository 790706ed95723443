#include "vrrp_packet.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace vrrp {
namespace {

constexpr uint8_t kVersionType = 0x31;  // version 3, type 1 (advertisement)
constexpr size_t kIpv4MinHeader = 20;

// One's-complement sum of big-endian 16-bit words; an odd last byte is padded with zero.
uint32_t Sum(uint32_t acc, const uint8_t* p, size_t len) {
  for (size_t i = 0; i + 1 < len; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len & 1) acc += static_cast<uint32_t>(p[len - 1]) << 8;
  return acc;
}

uint16_t Fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc & 0xffff);
}

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Everything after the IP header: the same for both families once the
// endpoints are known. `hopLimit` is the IP TTL or IPv6 hop limit.
Drop DecodeMessage(const uint8_t* data, size_t len, const Ip& src, const Ip& dst, int hopLimit, Advert* out) {
  if (len < kHeaderLen) return Drop::kShort;
  if (hopLimit != kHopLimit) return Drop::kTtl;
  if (data[0] >> 4 != 3) return Drop::kVersion;
  if ((data[0] & 0x0f) != 1) return Drop::kType;
  if (Checksum(src, dst, data, len) != 0) return Drop::kChecksum;
  size_t count = data[3];
  size_t need = kHeaderLen + count * src.size();
  if (count == 0 || len < need) return Drop::kAddressCount;
  if (len > need) return Drop::kLength;
  uint16_t interval = static_cast<uint16_t>((data[4] & 0x0f) << 8 | data[5]);  // the top 4 bits are reserved
  if (interval == 0) return Drop::kInterval;
  out->family = src.family;
  out->vrid = data[1];
  out->priority = data[2];
  out->intervalCs = interval;
  out->source = src;
  out->addresses.assign(count, Ip());
  for (size_t i = 0; i < count; i++) {
    out->addresses[i].family = src.family;
    memcpy(out->addresses[i].bytes, data + kHeaderLen + i * src.size(), src.size());
  }
  return Drop::kNone;
}

}  // namespace

size_t Ip::size() const { return family == AF_INET6 ? 16 : 4; }

const char* DropName(Drop drop) {
  switch (drop) {
    case Drop::kNone: return "none";
    case Drop::kShort: return "short";
    case Drop::kTtl: return "ttl";
    case Drop::kVersion: return "version";
    case Drop::kType: return "type";
    case Drop::kChecksum: return "checksum";
    case Drop::kAddressCount: return "address-count";
    case Drop::kLength: return "length";
    case Drop::kFamily: return "family";
    case Drop::kInterface: return "interface";
    case Drop::kInterval: return "interval";
  }
  return "unknown";
}

uint16_t Checksum(const Ip& src, const Ip& dst, const uint8_t* vrrp, size_t len) {
  uint32_t acc = Sum(0, src.bytes, src.size());
  acc = Sum(acc, dst.bytes, dst.size());
  // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three zeros, next header.
  // As sums of 16-bit words both come to protocol + length (a length fits 16 bits here).
  acc += kProtocol;
  acc += static_cast<uint32_t>(len & 0xffff) + static_cast<uint32_t>(len >> 16);
  return Fold(Sum(acc, vrrp, len));
}

bool EncodeAdvert(const Advert& a, const Ip& src, const Ip& dst, std::vector<uint8_t>* out, std::string* err) {
  if (a.family != AF_INET && a.family != AF_INET6) return *err = "family must be AF_INET or AF_INET6", false;
  if (src.family != a.family || dst.family != a.family) return *err = "source and destination must be of the advert's family", false;
  if (a.vrid == 0) return *err = "vrid must be 1 to 255", false;
  if (a.intervalCs == 0 || a.intervalCs > 0x0fff) return *err = "interval must be 1 to 4095 centiseconds", false;
  if (a.addresses.empty() || a.addresses.size() > kMaxAddresses) return *err = "1 to 255 addresses are needed", false;
  size_t width = src.size();
  out->assign(kHeaderLen + a.addresses.size() * width, 0);
  uint8_t* p = out->data();
  p[0] = kVersionType;
  p[1] = a.vrid;
  p[2] = a.priority;
  p[3] = static_cast<uint8_t>(a.addresses.size());
  Put16(p + 4, a.intervalCs);  // reserved bits stay zero: the interval is at most 0x0fff
  for (size_t i = 0; i < a.addresses.size(); i++) {
    if (a.addresses[i].family != a.family) return *err = "every address must be of the advert's family", false;
    memcpy(p + kHeaderLen + i * width, a.addresses[i].bytes, width);
  }
  Put16(p + 6, Checksum(src, dst, p, out->size()));
  return true;
}

Drop DecodeIpv4(const uint8_t* data, size_t len, Advert* out) {
  if (len < kIpv4MinHeader) return Drop::kShort;
  if (data[0] >> 4 != 4) return Drop::kFamily;
  size_t ihl = static_cast<size_t>(data[0] & 0x0f) * 4;
  if (ihl < kIpv4MinHeader || ihl > len) return Drop::kLength;
  size_t total = static_cast<size_t>(data[2]) << 8 | data[3];
  if (total != len) return Drop::kLength;  // the kernel has trimmed link-layer padding already
  if (data[9] != kProtocol) return Drop::kType;
  Ip src, dst;
  src.family = dst.family = AF_INET;
  memcpy(src.bytes, data + 12, 4);
  memcpy(dst.bytes, data + 16, 4);
  return DecodeMessage(data + ihl, len - ihl, src, dst, data[8], out);
}

Drop DecodeIpv6(const uint8_t* data, size_t len, const Ip& src, const Ip& dst, int hopLimit, Advert* out) {
  if (src.family != AF_INET6 || dst.family != AF_INET6) return Drop::kFamily;
  return DecodeMessage(data, len, src, dst, hopLimit, out);
}

std::vector<uint8_t> GratuitousArp(const uint8_t mac[6], const uint8_t ip[4]) {
  std::vector<uint8_t> f(14 + 28, 0);
  memset(f.data(), 0xff, 6);  // to everyone
  memcpy(f.data() + 6, mac, 6);
  Put16(f.data() + 12, 0x0806);  // ETH_P_ARP
  uint8_t* arp = f.data() + 14;
  Put16(arp, 1);                 // Ethernet
  Put16(arp + 2, 0x0800);        // IPv4
  arp[4] = 6;
  arp[5] = 4;
  Put16(arp + 6, 1);             // request: what Linux accepts as gratuitous with either arp_accept
  memcpy(arp + 8, mac, 6);       // sender: the VIP at our MAC
  memcpy(arp + 14, ip, 4);
  memset(arp + 18, 0xff, 6);     // target: the same VIP (sender == target makes it gratuitous)
  memcpy(arp + 24, ip, 4);
  return f;
}

std::vector<uint8_t> UnsolicitedNa(const uint8_t mac[6], const uint8_t ip[16], bool router) {
  constexpr size_t kIcmpLen = 24 + 8;  // advertisement + target link-layer address option
  std::vector<uint8_t> f(14 + 40 + kIcmpLen, 0);
  const uint8_t allNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
  memcpy(f.data(), allNodesMac, 6);
  memcpy(f.data() + 6, mac, 6);
  Put16(f.data() + 12, 0x86dd);  // ETH_P_IPV6
  uint8_t* ip6 = f.data() + 14;
  ip6[0] = 0x60;
  Put16(ip6 + 4, kIcmpLen);
  ip6[6] = IPPROTO_ICMPV6;
  ip6[7] = 255;  // RFC 4861 §7.1.2: receivers drop neighbour discovery with any other hop limit
  memcpy(ip6 + 8, ip, 16);
  Ip src, dst;
  src.family = dst.family = AF_INET6;
  memcpy(src.bytes, ip, 16);
  dst.bytes[0] = 0xff;
  dst.bytes[1] = 0x02;
  dst.bytes[15] = 1;
  memcpy(ip6 + 24, dst.bytes, 16);
  uint8_t* icmp = ip6 + 40;
  icmp[0] = 136;  // neighbour advertisement
  icmp[4] = static_cast<uint8_t>(0x20 | (router ? 0x80 : 0));  // override (and router); not solicited
  memcpy(icmp + 8, ip, 16);
  icmp[24] = 2;  // target link-layer address, length in units of 8 bytes
  icmp[25] = 1;
  memcpy(icmp + 26, mac, 6);
  uint32_t acc = Sum(Sum(0, src.bytes, 16), dst.bytes, 16) + kIcmpLen + IPPROTO_ICMPV6;
  Put16(icmp + 2, Fold(Sum(acc, icmp, kIcmpLen)));
  return f;
}

}  // namespace vrrp
